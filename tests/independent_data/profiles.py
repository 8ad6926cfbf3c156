"""Hypothesis settings of the independent-data properties: ``dev`` (default), ``ci`` and ``nightly``.

The profile is chosen by ``HYPOTHESIS_PROFILE`` (``dev``, ``ci`` or ``nightly``); without it, ``ci`` when the
environment variable ``CI`` is ``true`` (``.ci/run`` sets it), else ``dev``. The settings objects are applied to
these tests only (``@settings(...)`` on each test), so the other hypothesis tests of the suite keep their own.

- ``dev``: a few random examples, to keep ``python -m pytest`` quick on a workstation;
- ``ci``: derandomised (the same examples on every run, no example database), 300 in-process examples, 5 runs of
  ``python -m sap.run`` and 1 with the plan as shipped (its unstructured MMRMs take minutes on tiny arms);
- ``nightly``: randomised, 3000 in-process examples, 40 command-line runs and 5 with the plan as shipped.

An example takes about 1 to 4 s, so only ``dev`` shrinks a failing example; ``ci`` and ``nightly`` report the
first failing example as found (its ``rebuild(Variation(...), seed=...)`` line makes the same data again).
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

#: profile -> (in-process examples, command-line examples, command-line examples with the plan as shipped)
EXAMPLES = {"dev": (10, 1, 0), "ci": (300, 5, 1), "nightly": (3000, 40, 5)}
KINDS = ("in_process", "cli", "cli_shipped")
_SUPPRESS = (HealthCheck.too_slow, HealthCheck.data_too_large)


def profile_name() -> str:
    chosen = os.environ.get("HYPOTHESIS_PROFILE", "").strip().lower()
    if chosen in EXAMPLES:
        return chosen
    return "ci" if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes") else "dev"


def examples(kind: str) -> int:
    """Examples of a property of ``kind`` (one of KINDS) in the current profile."""
    return EXAMPLES[profile_name()][KINDS.index(kind)]


def property_settings(kind: str = "in_process") -> settings:
    """Settings for a property of this folder (``kind``: one of KINDS; at least one example)."""
    name = profile_name()
    n = max(1, examples(kind))
    ci = name == "ci"
    phases = tuple(Phase) if name == "dev" else tuple(p for p in Phase if p is not Phase.shrink)
    return settings(max_examples=n, deadline=None, derandomize=ci, database=None if ci else settings().database,
                    suppress_health_check=_SUPPRESS, print_blob=True, phases=phases)
