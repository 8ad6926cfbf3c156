"""Plan schema: response criteria as plan data, and their presets.

A criterion names its domains (derived PARAMCDs, which direction is better, the 0-to-``scale`` range on which the
criterion reads each, and whether the domain is ``mandatory``) and one rule, or in ``any_of`` several alternative
rules (the response holds when any one of them does). A rule is

* an improvement rule (relative threshold as a fraction of baseline and/or absolute threshold in units of a stated
  scale, ``inclusive`` >= or ``strict`` >) that every mandatory domain and ``required`` of the other domains must
  meet, with a worsening rule for the domains not improved (``none``; ``any``: post worse than baseline at all;
  ``thresholds``), or
* a deterioration rule: the same thresholds in the worse direction (a worsening criterion such as the ASDAS
  clinically important worsening), counted the same way, or
* a state cut-off every domain must meet at the visit (``le`` / ``lt`` a value): alone for remission and state
  criteria, or together with a change rule, both holding (the EULAR good response).

Conventions (``../shared/reference/as_endpoints.md`` section 1): relative change is (post - base) / base; a domain
with baseline 0 cannot meet a relative improvement, and its worsening rests on the absolute rule alone; a missing
value in any domain makes the response missing. A threshold or cut-off without a scale is in the domain's own unit
(ASDAS, DAS28 units). :func:`sap.derive.criteria.compute_domain_response` computes a criterion from these
parameters only, and the SAP document prints them from the same object.

Presets (:func:`preset_criteria`), each citing its reference: ASAS20 (Anderson 2001), ASAS40 and ASAS 5/6 (Brandt
2004), ASAS partial remission (ASAS handbook, Sieper 2009; ``lt2``: Machado 2011), BASDAI50, ASAS50 as the UC-MSC
AS registration writes it, ASAS20ST, the strict reading of the CG-BM1 registration; ASDAS clinically important and
major improvement, clinically important worsening, inactive disease and low disease activity (Machado 2011, 2018);
ACR20/50/70 (Felson 1995); EULAR good or moderate and EULAR good response (van Gestel 1996). Placeholder domains:
:data:`PAIN` (the ASAS pain domain, ``derivations.asas_pain_domain``), :data:`ACUTE_PHASE` (the ACR acute-phase
reactant) and :data:`DAS28` (the DAS28 of the EULAR response), resolved when the responses are derived.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from sap.spec_base import PlanModel

#: placeholder for the ASAS pain domain: the PARAMCD of ``derivations.asas_pain_domain`` (TBPAIN or SPPAIN)
PAIN = "@pain"
#: placeholder for the ACR acute-phase reactant: CRP or ESR (``DeriveOptions.acr_acute_phase``)
ACUTE_PHASE = "@acute_phase"
#: placeholder for the DAS28 of the EULAR response: DAS28CRP or DAS28ESR (``DeriveOptions.das28_marker``)
DAS28 = "@das28"
PLACEHOLDERS = (PAIN, ACUTE_PHASE, DAS28)
#: what ACUTE_PHASE and DAS28 stand for. Not (yet) plan fields: CRP (Felson 1995, Prevoo 1995; as the RA plan's text
#: states). :mod:`sap.derivations` passes them to the derivations and the SAP document prints them.
ACR_ACUTE_PHASE: Literal["CRP", "ESR"] = "CRP"
DAS28_MARKER: Literal["CRP", "ESR"] = "CRP"


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
    """One domain: the derived PARAMCD (or a placeholder of :data:`PLACEHOLDERS`), which direction is better, the
    0-``scale`` range the criterion reads it on (the data are converted from the plan's input scale; None: the
    parameter's own unit), and ``mandatory``: the domain must meet the change rule itself (ACR: the joint counts),
    ``required`` counting the other domains."""

    parameter: str = Field(min_length=1)
    label: str = ""
    better: Literal["lower", "higher"] = "lower"
    scale: Optional[float] = Field(None, gt=0)
    mandatory: bool = False

    @field_validator("parameter")
    @classmethod
    def _known_placeholder(cls, v: str) -> str:
        if v.startswith("@") and v not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {v!r}; known: {', '.join(PLACEHOLDERS)}")
        return v


class ResponseRule(PlanModel):
    """One rule of a criterion (see the module docstring): a change rule (``improvement`` or ``deterioration``),
    the number of non-mandatory domains that must meet it (``required``; default: all), the worsening rule of an
    improvement, and/or a state ``cutoff`` every domain meets at the visit."""

    improvement: Optional[ChangeRule] = None
    deterioration: Optional[ChangeRule] = None
    #: number of the non-mandatory domains that must meet the change rule (default: all of them)
    required: Optional[int] = Field(None, ge=1)
    worsening: WorseningRule = WorseningRule()
    cutoff: Optional[StateCutoff] = None

    @property
    def change(self) -> Optional[ChangeRule]:
        """The rule's change rule (improvement or deterioration), None for a state cut-off alone."""
        return self.improvement if self.improvement is not None else self.deterioration


def _rule_errors(rule: ResponseRule, domains: tuple[CriterionDomain, ...]) -> list[str]:
    """What is inconsistent in ``rule`` on ``domains``."""
    n_mandatory = sum(d.mandatory for d in domains)
    n_other = len(domains) - n_mandatory
    if rule.improvement is not None and rule.deterioration is not None:
        return ["an improvement and a deterioration rule cannot be one rule (give them as alternatives in any_of)"]
    if rule.change is None and rule.cutoff is None:
        return ["give either an improvement rule or a state cut-off (or both), or a deterioration rule"]
    errors = []
    if rule.change is None and (rule.required is not None or rule.worsening.rule != "none"):
        errors.append("a state cut-off alone takes no 'required' and no worsening rule")
    if rule.deterioration is not None and rule.worsening.rule != "none":
        errors.append("a deterioration rule takes no worsening rule")
    if rule.required is not None and rule.required > n_other:
        errors.append(f"required {rule.required} is more than its {n_other} "
                      f"{'non-mandatory ' if n_mandatory else ''}domains")
    scaled = [r.absolute_scale for r in (rule.change, rule.worsening.threshold) if r is not None]
    scaled += [rule.cutoff.scale] if rule.cutoff is not None else []
    if any(s is not None for s in scaled) and any(d.scale is None for d in domains):
        errors.append("a threshold written on a scale needs every domain's scale")
    return errors


class ResponseCriterion(ResponseRule):
    """A response criterion (see the module docstring); ``id`` is the response PARAMCD. Its rule is given either
    at the top level (the fields of :class:`ResponseRule`) or as two or more alternatives in ``any_of``."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,7}$")
    label: str
    reference: str
    domains: tuple[CriterionDomain, ...] = Field(min_length=1)
    any_of: tuple[ResponseRule, ...] = ()
    text: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "ResponseCriterion":
        where = f"criterion {self.id}"
        params = [d.parameter for d in self.domains]
        if len(set(params)) != len(params):
            raise ValueError(f"{where}: a domain is listed twice ({', '.join(params)})")
        if self.any_of:
            if self.change is not None or self.cutoff is not None or self.required is not None \
                    or self.worsening.rule != "none":
                raise ValueError(f"{where}: give the rule either at the top level or as alternatives in any_of, "
                                 "not both")
            if len(self.any_of) < 2:
                raise ValueError(f"{where}: any_of needs at least two alternative rules")
        for i, rule in enumerate(self.rules):
            errors = _rule_errors(rule, self.domains)
            if errors:
                raise ValueError(f"{where}{f' any_of[{i}]' if self.any_of else ''}: {errors[0]}")
        if any(d.mandatory for d in self.domains) and not self.needs_baseline:
            raise ValueError(f"{where}: mandatory domains need a change rule (a state cut-off holds in every domain)")
        return self

    @property
    def rules(self) -> tuple[ResponseRule, ...]:
        """The alternative rules (the response holds when any one does): ``any_of``, else the top-level rule."""
        return self.any_of if self.any_of else (self,)

    @property
    def needs_baseline(self) -> bool:
        """Whether a rule reads the change from baseline (False: state cut-offs at the visit only)."""
        return any(r.change is not None for r in self.rules)

    def n_required_of(self, rule: ResponseRule) -> int:
        """Number of the non-mandatory domains that must meet ``rule``'s change rule."""
        n_other = sum(not d.mandatory for d in self.domains)
        return n_other if rule.required is None else rule.required

    @property
    def n_required(self) -> int:
        """Number of (non-mandatory) domains that must improve under the top-level rule (or meet the cut-off)."""
        return self.n_required_of(self)


# --------------------------------------------------------------------------- presets
ANDERSON_2001 = "Anderson JJ et al. Arthritis Rheum 2001;44:1876 (ASAS handbook, Sieper J et al. ARD 2009;68 Suppl 2)"
BRANDT_2004 = "Brandt J et al. Ann Rheum Dis 2004;63:1438"
UCMSC_AS_REGISTRATION = ("UC-MSC AS registration (../shared/seeds/000_e3d85c03939e06ad.txt lines 69-70 and 210-212: "
                         "'at least 50% and an absolute improvement of at least 10 units on a 0-100 scale in at least "
                         "three' domains; no worsening clause)")
CGBM1_REGISTRATION = ("CG-BM1 registration (../shared/seeds/001_a0939c7146ab3bf7.txt lines 133-134: '> 20% and an "
                      "absolute improvement of > 1 unit (on a 0-10 scale) ... no worsening in the remaining domain')")
MACHADO_2011 = "Machado P et al. Ann Rheum Dis 2011;70:47"
MACHADO_2018 = "Machado PM et al. Ann Rheum Dis 2018;77:1539 (ASDAS 2018 update)"
FELSON_1995 = "Felson DT et al. Arthritis Rheum 1995;38:727"
VAN_GESTEL_1996 = "van Gestel AM et al. Arthritis Rheum 1996;39:34"


def asas_domains() -> tuple[CriterionDomain, ...]:
    """The four ASAS domains on 0-10, lower is better (as_endpoints.md section 1)."""
    return (CriterionDomain(parameter="PTGA", label="patient global", scale=10),
            CriterionDomain(parameter=PAIN, label="pain", scale=10),
            CriterionDomain(parameter="BASFI", label="function", scale=10),
            CriterionDomain(parameter="INFLAM", label="inflammation (mean of BASDAI Q5, Q6)", scale=10))


def acr_domains() -> tuple[CriterionDomain, ...]:
    """The ACR core set (Felson 1995) as the data contract holds it, lower is better, each in its own unit: the
    28-joint tender and swollen counts (mandatory) and the five other core measures."""
    return (CriterionDomain(parameter="TJC28", label="tender joint count (28)", mandatory=True),
            CriterionDomain(parameter="SJC28", label="swollen joint count (28)", mandatory=True),
            CriterionDomain(parameter="PTGAVAS", label="patient global assessment (VAS)"),
            CriterionDomain(parameter="PHGAVAS", label="physician global assessment (VAS)"),
            CriterionDomain(parameter="PAINVAS", label="patient pain (VAS)"),
            CriterionDomain(parameter="HAQDI", label="HAQ-DI"),
            CriterionDomain(parameter=ACUTE_PHASE, label="acute-phase reactant"))


def _asas(id_: str, label: str, reference: str, improvement: ChangeRule, worsening: WorseningRule,
          **kw) -> ResponseCriterion:
    return ResponseCriterion(id=id_, label=label, reference=reference, domains=asas_domains(),
                             improvement=improvement, required=3, worsening=worsening, **kw)


def _asas_presets(basdai50_rule: str, partial_remission_rule: str) -> list[ResponseCriterion]:
    on10 = dict(absolute_scale=10)
    basdai_abs = dict(absolute=2.0, absolute_scale=10, combine="or") if basdai50_rule == "relative_or_absolute" \
        else {}
    return [
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


def _asdas(id_: str, label: str, reference: str, **rule) -> ResponseCriterion:
    return ResponseCriterion(id=id_, label=label, reference=reference,
                             domains=(CriterionDomain(parameter="ASDASCRP", label="ASDAS-CRP"),), **rule)


def _asdas_presets() -> list[ResponseCriterion]:
    """ASDAS-CRP change and state criteria (as_endpoints.md section 3): change cut-offs inclusive (>=), states
    strict (<), in ASDAS units."""
    states = f"{MACHADO_2011}; names: {MACHADO_2018}"
    return [
        _asdas("ASDASCII", "ASDAS-CRP clinically important improvement (decrease >= 1.1)", MACHADO_2011,
               improvement=ChangeRule(absolute=1.1)),
        _asdas("ASDASMI", "ASDAS-CRP major improvement (decrease >= 2.0)", MACHADO_2011,
               improvement=ChangeRule(absolute=2.0)),
        _asdas("ASDASCIW", "ASDAS-CRP clinically important worsening (increase >= 0.9)", MACHADO_2018,
               deterioration=ChangeRule(absolute=0.9)),
        _asdas("ASDASID", "ASDAS-CRP inactive disease (< 1.3)", states, cutoff=StateCutoff(comparison="lt", value=1.3)),
        _asdas("ASDASLDA", "ASDAS-CRP low disease activity or inactive disease (< 2.1)", states,
               cutoff=StateCutoff(comparison="lt", value=2.1),
               text="Low disease activity (1.3 to < 2.1) or inactive disease (< 1.3), as trial endpoints count it."),
    ]


def _ra_presets() -> list[ResponseCriterion]:
    """ACR20/50/70 (Felson 1995) and the EULAR response on DAS28 (van Gestel 1996)."""
    acr = [ResponseCriterion(id=f"ACR{x}", label=f"ACR{x} response", reference=FELSON_1995, domains=acr_domains(),
                             improvement=ChangeRule(relative=x / 100), required=3,
                             text="A component with baseline 0 cannot improve; no worsening rule.")
           for x in (20, 50, 70)]
    das28 = (CriterionDomain(parameter=DAS28, label="DAS28"),)
    more_than_12 = ChangeRule(absolute=1.2, comparison="strict")
    return acr + [
        ResponseCriterion(
            id="EULAR", label="EULAR good or moderate response (DAS28)", reference=VAN_GESTEL_1996, domains=das28,
            any_of=(ResponseRule(improvement=more_than_12),
                    ResponseRule(improvement=ChangeRule(absolute=0.6, comparison="strict"),
                                 cutoff=StateCutoff(comparison="le", value=5.1))),
            text="Good: improvement > 1.2 and DAS28 <= 3.2; moderate: improvement > 1.2 and DAS28 > 3.2, or "
                 "improvement > 0.6 and <= 1.2 and DAS28 <= 5.1; good or moderate is therefore the rule shown."),
        ResponseCriterion(
            id="EULARG", label="EULAR good response (DAS28)", reference=VAN_GESTEL_1996, domains=das28,
            improvement=more_than_12, cutoff=StateCutoff(comparison="le", value=3.2)),
    ]


def preset_criteria(*, basdai50_rule: Literal["relative", "relative_or_absolute"] = "relative",
                    partial_remission_rule: Literal["le2", "lt2"] = "le2") -> dict[str, ResponseCriterion]:
    """The preset criteria by id; ASASPR and BASDAI50 follow the plan's ``partial_remission_threshold`` and
    ``basdai50_rule``."""
    presets = _asas_presets(basdai50_rule, partial_remission_rule) + _asdas_presets() + _ra_presets()
    return {c.id: c for c in presets}


#: ids of the presets (the plan may list them in ``derivations.responses`` or define its own criterion under one)
PRESET_IDS: tuple[str, ...] = tuple(preset_criteria())
