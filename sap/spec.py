"""Plan schema: a statistical analysis plan as validated, frozen data.

A plan (``sap/plans/<id>.yaml``) states, before any data is seen, what a trial estimates and how. It is
loaded into frozen pydantic models; unknown keys are errors, method names and their options are checked
against the method table (:mod:`sap.registry`; options are parsed once into the method's options model), and cross-references (endpoint visits in the schedule, analyses naming known
endpoints/populations/arms, outputs naming known analyses, multiplicity families) are checked on load.
Estimands follow ICH E9(R1): population, variable, intercurrent events with strategies, and the
population-level summary.

The models live in :mod:`sap.spec_design` (design, 3+3 rule), :mod:`sap.spec_schedule` (visit windows),
:mod:`sap.spec_parts` (populations, endpoints, analyses, multiplicity, outputs, settings) and :mod:`sap.spec_criteria`
(domain-count response criteria and their presets); this module holds the
plan itself, its cross-reference checks, loading and hashing, and re-exports every model.

The canonical SHA-256 of a plan is computed over the validated model serialised as JSON with sorted keys
and no whitespace, so it is stable under key order, YAML formatting and comments.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError, model_validator

from sap.errors import PlanError
from sap.plan_yaml import read_plan_yaml
from sap.spec_base import PlanModel
from sap.spec_design import Arm, Design, EscalationRule, Phase, Randomization, SampleSize, Stratum
from sap.spec_parts import (Analysis, DataSelection, DataSettings, DerivationSettings, Endpoint, Estimand,
                            Hypothesis, IntercurrentEvent, MissingData, Multiplicity, Objective, Output, Population,
                            PublishedValue, RESPONSE_ENDPOINTS, SyntheticSettings)
from sap.spec_criteria import (ChangeRule, CriterionDomain, ResponseCriterion, StateCutoff, WorseningRule,
                                preset_criteria)
from sap.spec_episodes import EpisodeEnd, EpisodeEnds, EpisodeRules, check_episode_references
from sap.spec_notes import Note, PlanNote, check_note_targets
from sap.spec_schedule import Schedule, Visit

__all__ = ["Analysis", "Arm", "DataSelection", "DataSettings", "DerivationSettings", "Design", "Endpoint", "Estimand",
           "EscalationRule", "Hypothesis", "IntercurrentEvent", "MissingData", "Multiplicity", "Note", "Objective",
           "Output",
           "Phase", "Plan", "PlanError", "SampleSize", "Population", "PublishedValue", "RESPONSE_ENDPOINTS", "Randomization", "Schedule", "Stratum",
           "SyntheticSettings", "Visit", "ChangeRule", "CriterionDomain", "ResponseCriterion", "StateCutoff",
           "WorseningRule", "preset_criteria", "PLANS_DIR", "available_plans", "canonical_json", "load_plan", "plan_path",
           "plan_from_mapping", "plan_sha256"]

PLANS_DIR = Path(__file__).resolve().parent / "plans"


class Plan(PlanModel):
    id: str
    title: str
    short_title: str
    version: str
    registration: str = ""
    indication: str
    sponsor: str = ""
    source_documents: tuple[str, ...] = ()
    notes: tuple[PlanNote, ...] = ()  # a string, or {text, about: item id(s)} (sap.spec_notes)
    objectives: tuple[Objective, ...]
    design: Design
    schedule: Schedule
    populations: tuple[Population, ...]
    endpoints: tuple[Endpoint, ...]
    derivations: DerivationSettings = DerivationSettings()
    analyses: tuple[Analysis, ...]
    missing_data: MissingData
    multiplicity: Multiplicity
    outputs: tuple[Output, ...]
    data: DataSettings = DataSettings()
    published: tuple[PublishedValue, ...] = ()

    @model_validator(mode="after")
    def _cross_references(self) -> "Plan":
        errors: list[str] = []
        visits = self.schedule.visit_numbers()
        pops = {p.id for p in self.populations}
        eps = {e.id for e in self.endpoints}
        phases = {p.id for p in self.design.phases}
        for kind, items in (("objectives", self.objectives), ("design.phases", self.design.phases),
                            ("populations", self.populations), ("endpoints", self.endpoints),
                            ("analyses", self.analyses), ("outputs", self.outputs)):
            ids = [i.id for i in items]
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                errors.append(f"{kind}: duplicate id {', '.join(dup)}")
        for ep in self.endpoints:
            bad = [v for v in ep.visits if v not in visits]
            if bad:
                errors.append(f"endpoints[{ep.id}].visits: [{', '.join(f'{v:g}' for v in bad)}] not in the visit "
                              f"schedule [{', '.join(f'{v:g}' for v in sorted(visits))}]")
            if ep.estimand and ep.estimand.population not in pops:
                errors.append(f"endpoints[{ep.id}].estimand.population: unknown population {ep.estimand.population!r}")
        analyses = {a.id for a in self.analyses}
        for an in self.analyses:
            if an.endpoint is not None and an.endpoint not in eps:
                errors.append(f"analyses[{an.id}].endpoint: unknown endpoint {an.endpoint!r}")
            if an.population not in pops:
                errors.append(f"analyses[{an.id}].population: unknown population {an.population!r}")
            if an.phase is not None and an.phase not in phases:
                errors.append(f"analyses[{an.id}].phase: unknown phase {an.phase!r}")
            visit = getattr(an.options, "visit", None)
            if visit is not None and an.data is None and float(visit) not in visits:
                errors.append(f"analyses[{an.id}].options.visit: {visit:g} not in the visit schedule")
        for out in self.outputs:
            for a in out.analyses:
                if a not in analyses:
                    errors.append(f"outputs[{out.id}].analyses: unknown analysis {a!r}")
            if out.population and out.population not in pops:
                errors.append(f"outputs[{out.id}].population: unknown population {out.population!r}")
        for h in self.multiplicity.family:
            if h.analysis not in analyses:
                errors.append(f"multiplicity.family: unknown analysis {h.analysis!r}")
            elif h.visit is not None and h.visit not in visits:
                errors.append(f"multiplicity.family[{h.label}].visit: {h.visit} not in the visit schedule")
        errors += check_episode_references(self)
        errors += check_note_targets(self)
        errors += _published_errors(self, analyses, visits)
        if errors:
            raise ValueError("; ".join(errors))
        return self

    # convenience look-ups
    def population(self, pop_id: str) -> Population:
        return next(p for p in self.populations if p.id == pop_id)

    def endpoint(self, ep_id: str) -> Endpoint:
        return next(e for e in self.endpoints if e.id == ep_id)

    def analysis(self, an_id: str) -> Analysis:
        return next(a for a in self.analyses if a.id == an_id)

    def visit_label(self, avisitn: float) -> str:
        for v in self.schedule.visits:
            if v.avisitn == avisitn:
                return v.label
        return f"Week {avisitn:g}"


def _published_errors(plan: Plan, analyses: set[str], visits) -> list[str]:
    """Published values: known analysis and visit, listed by the reproduction output(s) when the plan has one, and
    a plan with frozen synthetic data says how they were made (``data.synthetic.notes``, printed beside them)."""
    errors = []
    shown = {a for o in plan.outputs if o.section == "reproduction" for a in o.analyses}
    for pv in plan.published:
        if pv.analysis not in analyses:
            errors.append(f"published[{pv.label}].analysis: unknown analysis {pv.analysis!r}")
        elif shown and pv.analysis not in shown:
            errors.append(f"published[{pv.label}].analysis: {pv.analysis} is not among the analyses of the "
                          f"reproduction output(s)")
        if pv.visit is not None and pv.visit not in visits:
            errors.append(f"published[{pv.label}].visit: {pv.visit:g} not in the visit schedule")
    if plan.published and plan.data.synthetic is not None and not plan.data.synthetic.notes.strip():
        errors.append("data.synthetic.notes: a plan with published values must say how its frozen synthetic data "
                      "were made (printed beside the reproduction table)")
    return errors


# --------------------------------------------------------------------------- loading and hashing
def _format_validation_error(exc: ValidationError, source: str, locate=None) -> str:
    """One line naming each error's key (and, given ``locate`` from :func:`sap.plan_yaml.read_plan_yaml`, its line)."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        line = locate(err["loc"]) if locate is not None and err["loc"] else None
        loc = f"{loc} (line {line})" if loc and line else loc
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        if err["loc"] and msg.startswith(f"{err['loc'][0]}["):  # the message names its own location by id
            loc = ""
        parts.append(f"{loc}: {msg}" if loc else msg)
    return f"invalid plan {source}: " + "; ".join(parts)


def plan_from_mapping(data: Any, source: str = "<mapping>", locate=None) -> Plan:
    """Validate a mapping (e.g. parsed YAML) as a Plan; raise PlanError naming the key (and line) on failure."""
    if not isinstance(data, dict):
        raise PlanError(f"invalid plan {source}: top level must be a mapping")
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_format_validation_error(exc, source, locate)) from None


def available_plans() -> list[str]:
    """Return the ids of the plans shipped with the package."""
    return sorted(p.stem for p in PLANS_DIR.glob("*.yaml"))


def plan_path(plan: str) -> Path:
    """Resolve a plan id (shipped plan) or a path to a YAML file."""
    candidate = Path(plan)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    shipped = PLANS_DIR / f"{plan}.yaml"
    if shipped.is_file():
        return shipped
    raise PlanError(f"unknown plan {plan!r}; available plans: {', '.join(available_plans())}")


def load_plan(plan: str | Path) -> Plan:
    """Load and validate a plan by id (``cg-bm1``) or path to a YAML file."""
    path = plan_path(str(plan))
    data, locate = read_plan_yaml(path)  # UTF-8, no duplicated keys, syntax errors with their line
    plan_obj = plan_from_mapping(data, str(path), locate)
    if plan_obj.id != path.stem and path.parent == PLANS_DIR:
        raise PlanError(f"invalid plan {path}: id {plan_obj.id!r} does not match the file name")
    return plan_obj


def canonical_json(plan: Plan) -> str:
    """The plan as canonical JSON: validated values, sorted keys, no whitespace."""
    return json.dumps(plan.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def plan_sha256(plan: Plan) -> str:
    """Canonical SHA-256 of a plan (stable under key order, whitespace and comments)."""
    return hashlib.sha256(canonical_json(plan).encode("utf-8")).hexdigest()
