"""Plan schema: domain-count response criteria (ASAS type) as plan data, and their presets.

A criterion names its domains (derived PARAMCDs, which direction is better, the 0-to-``scale`` range on which the
criterion reads each) and either

* an improvement rule (relative threshold as a fraction of baseline and/or absolute threshold in units of a stated
  scale, ``inclusive`` >= or ``strict`` >), the number of domains that must improve, and a worsening rule for the
  others (``none``; ``any``: post worse than baseline at all; ``thresholds``), or
* a state cut-off every domain must meet at the visit (``le`` / ``lt`` a value), for remission criteria.

Conventions (``../shared/reference/as_endpoints.md`` section 1): relative change is (post - base) / base; a domain
with baseline 0 cannot meet a relative improvement, and its worsening rests on the absolute rule alone; a missing
value in any domain makes the response missing. :func:`sap.derive.criteria.compute_domain_response` computes a
criterion from these parameters only, and the SAP document prints them from the same object.

Presets (:func:`preset_criteria`), each citing its reference: ASAS20 (Anderson 2001), ASAS40 and ASAS 5/6 (Brandt
2004), ASAS partial remission (ASAS handbook, Sieper 2009; ``lt2``: Machado 2011), BASDAI50, ASAS50 as the UC-MSC
AS registration writes it, and ASAS20ST, the strict reading of the CG-BM1 registration. The ASAS pain domain is
the placeholder :data:`PAIN`, read from ``derivations.asas_pain_domain`` when the responses are derived.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from sap.spec_base import PlanModel

#: placeholder for the ASAS pain domain: the PARAMCD of ``derivations.asas_pain_domain`` (TBPAIN or SPPAIN)
PAIN = "@pain"


class ChangeRule(PlanModel):
    """A change from baseline, in the better (improvement) or worse (worsening) direction, of ``relative`` x
    baseline and/or ``absolute`` units of a 0-``absolute_scale`` scale (None: in each domain's own unit);
    ``comparison`` ``inclusive`` is "at least" (>=), ``strict`` is "more than" (>)."""

    relative: Optional[float] = Field(None, gt=0)
    absolute: Optional[float] = Field(None, gt=0)
    absolute_scale: Optional[float] = Field(None, gt=0)
    combine: Literal["and", "or"] = "and"
    comparison: Literal["inclusive", "strict"] = "inclusive"

    @model_validator(mode="after")
    def _consistent(self) -> "ChangeRule":
        if self.relative is None and self.absolute is None:
            raise ValueError("a change rule needs a relative or an absolute threshold")
        if self.absolute_scale is not None and self.absolute is None:
            raise ValueError("absolute_scale without an absolute threshold")
        if self.combine == "or" and (self.relative is None or self.absolute is None):
            raise ValueError("combine 'or' needs both a relative and an absolute threshold")
        return self


class WorseningRule(PlanModel):
    """What the domains not counted as improved must not do: ``none`` (no rule), ``any`` (post worse than baseline
    at all fails), ``thresholds`` (a worsening by ``threshold`` fails)."""

    rule: Literal["none", "any", "thresholds"] = "none"
    threshold: Optional[ChangeRule] = None

    @model_validator(mode="after")
    def _consistent(self) -> "WorseningRule":
        if (self.rule == "thresholds") != (self.threshold is not None):
            raise ValueError("worsening: rule 'thresholds' needs a threshold, and only it takes one")
        return self


class StateCutoff(PlanModel):
    """Every domain at the visit ``le`` (<=) or ``lt`` (<) ``value``, written on 0-``scale`` (None: own unit)."""

    comparison: Literal["le", "lt"]
    value: float
    scale: Optional[float] = Field(None, gt=0)


class CriterionDomain(PlanModel):
    """One domain: the derived PARAMCD (or :data:`PAIN`), which direction is better, and the 0-``scale`` range the
    criterion reads it on (the data are converted from the plan's input scale; None: the parameter's own unit)."""

    parameter: str = Field(min_length=1)
    label: str = ""
    better: Literal["lower", "higher"] = "lower"
    scale: Optional[float] = Field(None, gt=0)


class ResponseCriterion(PlanModel):
    """A domain-count response criterion (see the module docstring); ``id`` is the response PARAMCD."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,7}$")
    label: str
    reference: str
    domains: tuple[CriterionDomain, ...] = Field(min_length=1)
    improvement: Optional[ChangeRule] = None
    #: number of domains that must improve (default: all of them)
    required: Optional[int] = Field(None, ge=1)
    worsening: WorseningRule = WorseningRule()
    cutoff: Optional[StateCutoff] = None
    text: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "ResponseCriterion":
        where = f"criterion {self.id}"
        if (self.improvement is None) == (self.cutoff is None):
            raise ValueError(f"{where}: give either an improvement rule or a state cut-off")
        if self.cutoff is not None and (self.required is not None or self.worsening.rule != "none"):
            raise ValueError(f"{where}: a state cut-off takes no 'required' and no worsening rule")
        if self.required is not None and self.required > len(self.domains):
            raise ValueError(f"{where}: required {self.required} is more than its {len(self.domains)} domains")
        params = [d.parameter for d in self.domains]
        if len(set(params)) != len(params):
            raise ValueError(f"{where}: a domain is listed twice ({', '.join(params)})")
        scaled = [r.absolute_scale for r in (self.improvement, self.worsening.threshold) if r is not None]
        scaled += [self.cutoff.scale] if self.cutoff is not None else []
        if any(s is not None for s in scaled) and any(d.scale is None for d in self.domains):
            raise ValueError(f"{where}: a threshold written on a scale needs every domain's scale")
        return self

    @property
    def n_required(self) -> int:
        """Number of domains that must improve (or meet the cut-off)."""
        return len(self.domains) if self.required is None else self.required


# --------------------------------------------------------------------------- presets
ANDERSON_2001 = "Anderson JJ et al. Arthritis Rheum 2001;44:1876 (ASAS handbook, Sieper J et al. ARD 2009;68 Suppl 2)"
BRANDT_2004 = "Brandt J et al. Ann Rheum Dis 2004;63:1438"
UCMSC_AS_REGISTRATION = ("UC-MSC AS registration (../shared/seeds/000_e3d85c03939e06ad.txt lines 69-70 and 210-212: "
                         "'at least 50% and an absolute improvement of at least 10 units on a 0-100 scale in at least "
                         "three' domains; no worsening clause)")
CGBM1_REGISTRATION = ("CG-BM1 registration (../shared/seeds/001_a0939c7146ab3bf7.txt lines 133-134: '> 20% and an "
                      "absolute improvement of > 1 unit (on a 0-10 scale) ... no worsening in the remaining domain')")


def asas_domains() -> tuple[CriterionDomain, ...]:
    """The four ASAS domains on 0-10, lower is better (as_endpoints.md section 1)."""
    return (CriterionDomain(parameter="PTGA", label="patient global", scale=10),
            CriterionDomain(parameter=PAIN, label="pain", scale=10),
            CriterionDomain(parameter="BASFI", label="function", scale=10),
            CriterionDomain(parameter="INFLAM", label="inflammation (mean of BASDAI Q5, Q6)", scale=10))


def _asas(id_: str, label: str, reference: str, improvement: ChangeRule, worsening: WorseningRule,
          **kw) -> ResponseCriterion:
    return ResponseCriterion(id=id_, label=label, reference=reference, domains=asas_domains(),
                             improvement=improvement, required=3, worsening=worsening, **kw)


def preset_criteria(*, basdai50_rule: Literal["relative", "relative_or_absolute"] = "relative",
                    partial_remission_rule: Literal["le2", "lt2"] = "le2") -> dict[str, ResponseCriterion]:
    """The preset criteria by id; ASASPR and BASDAI50 follow the plan's ``partial_remission_threshold`` and
    ``basdai50_rule``."""
    on10 = dict(absolute_scale=10)
    basdai_abs = dict(absolute=2.0, absolute_scale=10, combine="or") if basdai50_rule == "relative_or_absolute" \
        else {}
    presets = [
        _asas("ASAS20", "ASAS20 response", ANDERSON_2001, ChangeRule(relative=0.2, absolute=1.0, **on10),
              WorseningRule(rule="thresholds", threshold=ChangeRule(relative=0.2, absolute=1.0, **on10))),
        _asas("ASAS40", "ASAS40 response", BRANDT_2004, ChangeRule(relative=0.4, absolute=2.0, **on10),
              WorseningRule(rule="any")),
        _asas("ASAS50", "ASAS50 response (as registered)", UCMSC_AS_REGISTRATION,
              ChangeRule(relative=0.5, absolute=10.0, absolute_scale=100), WorseningRule(rule="none"),
              text="Not a validated ASAS criterion; as registered (whose definition line is headed 'ASAS 20')."),
        _asas("ASAS20ST", "ASAS20 response, registered strict reading", CGBM1_REGISTRATION,
              ChangeRule(relative=0.2, absolute=1.0, comparison="strict", **on10), WorseningRule(rule="any"),
              text="Sensitivity definition: the registration's '>' read literally, and 'no worsening' as none at all."),
        ResponseCriterion(
            id="ASAS56", label="ASAS 5/6 response", reference=BRANDT_2004, required=5,
            domains=asas_domains() + (CriterionDomain(parameter="CRP", label="CRP, mg/L"),
                                      CriterionDomain(parameter="LATFLX", label="lateral spinal flexion, cm",
                                      better="higher")),
            improvement=ChangeRule(relative=0.2), text="No absolute threshold and no worsening rule (Brandt 2004)."),
        ResponseCriterion(
            id="ASASPR", label="ASAS partial remission", domains=asas_domains(),
            reference="Sieper J et al. ASAS handbook, Ann Rheum Dis 2009;68 Suppl 2" if partial_remission_rule == "le2"
            else "Machado P et al. Ann Rheum Dis 2011;70:47 (footnote: 'below 2')",
            cutoff=StateCutoff(comparison="le" if partial_remission_rule == "le2" else "lt", value=2.0, scale=10)),
        ResponseCriterion(
            id="BASDAI50", label="BASDAI50 response", domains=(CriterionDomain(parameter="BASDAI", scale=10),),
            reference="Braun J et al. Lancet 2002;359:1187" + ("; >= 2 units: ASAS anti-TNF continuation rule (Braun J "
                                                               "et al. Ann Rheum Dis 2006;65:316)" if basdai_abs else ""),
            improvement=ChangeRule(relative=0.5, **basdai_abs)),
    ]
    return {c.id: c for c in presets}


#: ids of the presets (the plan may list them in ``derivations.responses`` or define its own criterion under one)
PRESET_IDS: tuple[str, ...] = tuple(preset_criteria())
