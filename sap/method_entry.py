"""The types of the method table (:mod:`sap.registry`): an entry, its selection, its options base, and the
resolution of the ``"module:function"`` references an entry names (an unknown name raises; never skipped)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional

from pydantic import BaseModel, ConfigDict


class MethodOptions(BaseModel):
    """Base of every options model: unknown keys are plan errors; values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Selection:
    """How a method selects its analysis frame (a plan's ``data:`` block overrides the dataset and filter).

    ``dataset``: default analysis dataset; ``parameter``: which PARAMCD to keep: ``"endpoint"`` (the endpoint's
    parameter) or the name of an option holding it (``"response"``, ``"paramcd"``), None = every record;
    ``endpoint_visits``: keep the endpoint's visits; ``subject_level``: one row per subject (ADSL-like).
    ``sap.adapters._common.select_frame`` applies it.
    """

    dataset: str
    parameter: Optional[str] = None
    endpoint_visits: bool = False
    subject_level: bool = False

    def text(self) -> str:
        parts = [self.dataset]
        if self.parameter == "endpoint":
            parts.append("records of the endpoint's parameter")
        elif self.parameter:
            parts.append(f"records of the parameter named by option {self.parameter}")
        if self.endpoint_visits:
            parts.append("at the endpoint's visits")
        if self.subject_level:
            parts.append("one row per subject")
        return ", ".join(parts)


@dataclass(frozen=True)
class MethodEntry:
    name: str
    options: type[MethodOptions]
    description: str
    section: str
    selection: Selection
    run: str
    shells: tuple[str, ...]
    sentence: Callable[[MethodOptions], str]
    figures: tuple[str, ...] = ()
    #: runs after every other analysis and receives their results (multiplicity)
    after_all: bool = False
    references: str = ""
    #: the pure function in ``analyses/`` a generic adapter calls (``"analyses.module:function"``; see
    #: :mod:`sap.adapters.by_visit`); empty when the adapter calls ``analyses/`` itself
    compute: str = ""

    def run_function(self) -> Callable:
        return resolve(self.run)

    def compute_function(self) -> Callable:
        if not self.compute:
            raise ValueError(f"method {self.name}: the registry entry names no compute function")
        return resolve(self.compute)

    def shell_functions(self) -> tuple[Callable, ...]:
        return tuple(resolve(s) for s in self.shells)


@lru_cache(maxsize=None)
def resolve(reference: str) -> Callable:
    """The function named by ``"package.module:function"``; an unknown name raises (never skipped)."""
    module_name, _, attr = reference.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise AttributeError(f"method registry: {module_name} has no {attr!r} (reference {reference!r})") from None
