"""Options of the exposure method (:mod:`sap.registry` names them): the courses of a product whose administrations
the exposure table also counts separately (e.g. the second MSC course of msc-etanercept), and the SAP sentence."""
from __future__ import annotations

from pydantic import model_validator

from sap.method_entry import MethodOptions


class ExposureCourse(MethodOptions):
    """A course of one product: the records of ``product`` (ADEX EXTRT) with a study day in ``days`` (first and
    last, inclusive; day 1 = first dose)."""

    label: str
    product: str
    days: tuple[int, int]

    @model_validator(mode="after")
    def _ordered_days(self) -> "ExposureCourse":
        if self.days[0] > self.days[1]:
            raise ValueError(f"course {self.label!r}: days {self.days} (first day after last day)")
        return self


class ExposureOptions(MethodOptions):
    courses: tuple[ExposureCourse, ...] = ()


def exposure_sentence(o: ExposureOptions) -> str:
    """The SAP sentence of an exposure analysis, courses included."""
    base = ("Per product (ADEX EXTRT) in its own unit (EXDOSU): subjects treated, administrations received and "
            "cumulative dose, never adding different products; treatment duration (first to last dose)")
    courses = "; ".join(f"{c.label}: {c.product} on study days {c.days[0]}-{c.days[1]}" for c in o.courses)
    return base + (f". Administrations also counted per course ({courses})." if courses else ".")
