"""Adapters: plan analysis -> call into ``analyses/`` -> :class:`sap.bundle.AnalysisOutcome`.

``ADAPTERS`` maps each method name of :mod:`sap.methods` to a function ``(ctx, analysis) -> AnalysisOutcome``.
Method ``multiplicity`` is special: it runs after all other analyses and also receives their outcomes.
"""
from __future__ import annotations

from typing import Callable

from . import baseline, continuous

ADAPTERS: dict[str, Callable] = {
    "disposition": baseline.disposition,
    "populations": baseline.populations,
    "demographics": baseline.demographics,
    "exposure": baseline.exposure,
    "continuous_summary": continuous.continuous_summary,
}


def _register_optional() -> None:
    """Register adapters whose modules exist (each analysis family lives in its own module)."""
    import importlib

    for module_name, names in (
        ("binary", ("response_rate", "response_comparison")),
        ("duration", ("response_duration", "time_to_response", "time_to_event")),
        ("mixed", ("mmrm", "ancova")),
        ("safety", ("ae_overview", "ae_by_soc_pt", "ae_by_max_grade", "ae_serious", "ae_special_interest",
                    "ae_exposure_adjusted", "dlt_rate", "lab_shift", "lab_change")),
        ("escalation", ("dose_escalation", "escalation_oc")),
    ):
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{module_name}":
                continue
            raise
        for name in names:
            if hasattr(module, name):
                ADAPTERS[name] = getattr(module, name)


_register_optional()
