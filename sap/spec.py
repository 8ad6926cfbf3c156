"""Plan schema: a statistical analysis plan as validated, frozen data.

A plan (``sap/plans/<id>.yaml``) states, before any data is seen, what a trial estimates and how. It is
loaded into frozen pydantic models; unknown keys are errors, method names and their options are checked
against the method table (:mod:`sap.registry`; options are parsed once into the method's options model), and cross-references (endpoint visits in the schedule, analyses naming known
endpoints/populations/arms, outputs naming known analyses, multiplicity families) are checked on load.
Estimands follow ICH E9(R1): population, variable, intercurrent events with strategies, and the
population-level summary.

The canonical SHA-256 of a plan is computed over the validated model serialised as JSON with sorted keys
and no whitespace, so it is stable under key order, YAML formatting and comments.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal, Optional, Union, get_args

import yaml
from pydantic import (BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from sap.errors import PlanError
from sap.expressions import FilterSyntaxError, parse_filter
from sap.registry import REGISTRY, MethodOptions, options_model

PLANS_DIR = Path(__file__).resolve().parent / "plans"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- design
class Arm(_Model):
    id: str
    label: str
    phase: str
    role: Literal["experimental", "placebo", "active_control", "dose_level"] = "experimental"
    dose: Optional[float] = None
    dose_unit: Optional[str] = None
    regimen: str = ""
    infusion_days: tuple[int, ...] = ()
    #: value of the treatment variable (e.g. TRT01P) that identifies this arm in the data
    data_value: str


class EscalationRule(_Model):
    rule: Literal["3+3"] = "3+3"
    cohort_size: int = 3
    expansion_size: int = 3
    mtd_requires_six: bool = True
    deescalation: bool = False
    dlt_window_days: int
    dose_levels: tuple[str, ...]
    text: str


class Randomization(_Model):
    ratio: tuple[int, ...]
    method: str = "permuted blocks"
    block_size: Optional[int] = None
    strata: tuple[str, ...] = ()


class Stratum(_Model):
    variable: str
    label: str
    levels: tuple[str, ...]


class Phase(_Model):
    id: str
    label: str
    kind: Literal["dose_escalation", "randomized", "single_arm", "nonrandomized"]
    arms: tuple[str, ...]
    blinding: Literal["open-label", "single-blind", "double-blind"]
    #: value of ADSL.PHASE identifying this phase's subjects (None when the trial has one phase)
    data_value: Optional[str] = None
    escalation: Optional[EscalationRule] = None
    randomization: Optional[Randomization] = None
    reference_arm: Optional[str] = None
    planned_n: Optional[int] = None
    sample_size_rationale: str = ""

    @model_validator(mode="after")
    def _kind_fields(self) -> "Phase":
        if self.kind == "dose_escalation" and self.escalation is None:
            raise ValueError(f"phase {self.id}: a dose_escalation phase needs 'escalation'")
        if self.kind == "randomized" and self.randomization is None:
            raise ValueError(f"phase {self.id}: a randomized phase needs 'randomization'")
        return self


class Design(_Model):
    summary: str
    treatment_variable: str = "TRT01P"
    phases: tuple[Phase, ...]
    arms: tuple[Arm, ...]
    strata: tuple[Stratum, ...] = ()
    background_therapy: str = ""

    @model_validator(mode="after")
    def _references(self) -> "Design":
        arm_ids = [a.id for a in self.arms]
        if len(set(arm_ids)) != len(arm_ids):
            raise ValueError("design.arms: duplicate arm id")
        phase_ids = {p.id for p in self.phases}
        for arm in self.arms:
            if arm.phase not in phase_ids:
                raise ValueError(f"design.arms[{arm.id}].phase: unknown phase {arm.phase!r}")
        for phase in self.phases:
            for a in phase.arms:
                if a not in arm_ids:
                    raise ValueError(f"design.phases[{phase.id}].arms: unknown arm {a!r}")
            if phase.reference_arm and phase.reference_arm not in phase.arms:
                raise ValueError(f"design.phases[{phase.id}].reference_arm: {phase.reference_arm!r} is not an arm of the phase")
            if phase.escalation:
                for a in phase.escalation.dose_levels:
                    if a not in phase.arms:
                        raise ValueError(f"design.phases[{phase.id}].escalation.dose_levels: unknown arm {a!r}")
            if phase.randomization and len(phase.randomization.ratio) != len(phase.arms):
                raise ValueError(f"design.phases[{phase.id}].randomization.ratio: one number per arm expected")
        return self

    def arm(self, arm_id: str) -> Arm:
        return next(a for a in self.arms if a.id == arm_id)

    def phase(self, phase_id: str) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)


# --------------------------------------------------------------------------- schedule
class Visit(_Model):
    """One analysis visit: AVISITN (study week; 0 = baseline), label, target study day and the inclusive window
    ``[lo, hi]`` of study days. The one visit-window model: the derivations (:mod:`sap.derive.visits`) and the data
    contract (:class:`sap.data.VisitSchedule`) use the plan's visits. ``None`` = open-ended, for data-contract
    schedules read from sponsor data (CDISC AWLO/AWHI); a plan's schedule must close every window."""

    avisitn: float
    label: str
    target_day: int
    window: tuple[Optional[int], Optional[int]]
    assessments: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _window(self) -> "Visit":
        if (self.lo is not None and self.lo > self.target_day) or (self.hi is not None and self.target_day > self.hi):
            raise ValueError(f"schedule.visits[{self.label}]: target day {self.target_day} outside window {self.window}")
        return self

    @property
    def lo(self) -> Optional[int]:
        return self.window[0]

    @property
    def hi(self) -> Optional[int]:
        return self.window[1]

    def describe(self) -> str:
        lo, hi = ("-inf" if self.lo is None else f"{self.lo:g}"), ("inf" if self.hi is None else f"{self.hi:g}")
        return f"{self.label} (AVISITN {self.avisitn:g}) window [{lo}, {hi}]"


class Schedule(_Model):
    day_origin: str = "Study day 1 is the day of the first infusion"
    visits: tuple[Visit, ...]
    window_rule: Literal["closest_then_latest", "latest", "worst"] = "closest_then_latest"
    window_rule_text: str = ""

    @model_validator(mode="after")
    def _unique(self) -> "Schedule":
        nums = [v.avisitn for v in self.visits]
        if len(set(nums)) != len(nums):
            raise ValueError("schedule.visits: duplicate avisitn")
        for v in self.visits:
            if v.lo is None or v.hi is None:
                raise ValueError(f"schedule.visits[{v.label}].window: a plan's visit window needs both bounds")
        wins = sorted(self.visits, key=lambda v: v.lo)
        for a, b in zip(wins, wins[1:]):
            if b.lo <= a.hi:
                raise ValueError(f"schedule.visits: windows of {a.label} {list(a.window)} and {b.label} "
                                 f"{list(b.window)} overlap")
        return self

    def visit_numbers(self) -> set[float]:
        return {v.avisitn for v in self.visits}


# --------------------------------------------------------------------------- populations
class Population(_Model):
    id: str
    label: str
    #: ADSL flag variable (value "Y" selects the subject); None = every subject in ADSL
    flag: Optional[str] = None
    dataset: str = "adsl"
    definition: str


# --------------------------------------------------------------------------- endpoints and estimands
class IntercurrentEvent(_Model):
    event: str
    strategy: Literal["treatment_policy", "composite", "hypothetical", "while_on_treatment", "principal_stratum"]
    handling: str


class Estimand(_Model):
    population: str
    variable: str
    intercurrent_events: tuple[IntercurrentEvent, ...] = ()
    summary: str
    treatment: str = ""


class Endpoint(_Model):
    id: str
    label: str
    type: Literal["binary", "continuous", "time_to_event", "safety", "count"]
    role: Literal["primary", "secondary", "exploratory", "safety"] = "secondary"
    #: PARAMCD of the analysis parameter (raw or derived)
    parameter: Optional[str] = None
    derivation: str
    formula: str = ""
    reference: str = ""
    visits: tuple[float, ...] = ()
    unit: str = ""
    estimand: Optional[Estimand] = None


# --------------------------------------------------------------------------- analyses
class DataSelection(_Model):
    """Which analysis dataset rows an analysis uses.

    ``where`` is an expression in the plan filter language of :mod:`sap.expressions` (checked on load, never
    run as code): column names, literals, comparisons (``PARAMCD == 'ACTOT'``, ``1 < AVAL <= 5``),
    ``in`` / ``not in`` a list of literals, ``and`` / ``or`` / ``not`` or ``&`` / ``|`` / ``~``, and on a column
    ``.isin([...])``, ``.notna()``, ``.isna()``, ``.notnull()``, ``.isnull()``.
    """

    dataset: str
    where: Optional[str] = None
    group_variable: Optional[str] = None
    group_order_variable: Optional[str] = None


class Analysis(_Model):
    id: str
    title: str
    method: str
    endpoint: Optional[str] = None
    population: str
    phase: Optional[str] = None
    data: Optional[DataSelection] = None
    #: the method's options, parsed once on load into the method's options model (sap.registry)
    options: SerializeAsAny[MethodOptions] = Field(default_factory=dict, validate_default=True)
    sensitivity: bool = False
    text: str = ""

    @field_validator("method")
    @classmethod
    def _known_method(cls, v: str) -> str:
        if v not in REGISTRY:
            raise ValueError(f"unknown method {v!r}; known methods: {', '.join(sorted(REGISTRY))}")
        return v

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, v: Any, info: ValidationInfo) -> Any:
        method = info.data.get("method")
        if method is None:  # the method error is reported on its own
            return v
        model = options_model(method)
        if isinstance(v, model):
            return v
        if v is None:
            v = {}
        if not isinstance(v, dict):
            raise ValueError(f"analysis {info.data.get('id')} ({method}): options must be a mapping")
        try:
            return model.model_validate(v)
        except ValidationError as exc:
            bad = "; ".join(f"options.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"analysis {info.data.get('id')} ({method}): {bad}") from None

    @model_validator(mode="after")
    def _where(self) -> "Analysis":
        if self.data is not None and self.data.where:
            try:
                parse_filter(self.data.where)
            except FilterSyntaxError as exc:
                raise ValueError(f"analyses[{self.id}].data.where: {exc}") from None
        return self

    def parsed_options(self) -> MethodOptions:
        """The options as parsed on load (kept for callers of the old interface; same object as ``options``)."""
        return self.options


class MissingData(_Model):
    binary: Literal["nri", "observed_case"] = "nri"
    continuous: str = "MMRM under missing at random using all observed post-baseline data"
    sensitivity: tuple[str, ...] = ()
    text: str = ""


class Hypothesis(_Model):
    """One member of a multiplicity family: a comparison of an analysis at one visit."""

    analysis: str
    visit: Optional[float] = None
    label: str


class Multiplicity(_Model):
    strategy: Literal["none", "fixed_sequence", "holm", "hochberg", "bonferroni"] = "none"
    alpha: float = 0.05
    family: tuple[Hypothesis, ...] = ()
    text: str


class Output(_Model):
    id: str
    kind: Literal["table", "figure", "listing"]
    title: str
    analyses: tuple[str, ...] = ()
    population: Optional[str] = None
    section: Literal["disposition", "baseline", "exposure", "efficacy", "safety", "escalation", "reproduction"]
    figure: Optional[Literal["mean_change", "response_rates", "km", "forest", "swimmer", "spaghetti"]] = None
    footnote: str = ""


#: Response endpoints the derivations can produce (:func:`sap.derive.response.derive_responses`).
ResponseEndpoint = Literal["ASAS20", "ASAS40", "ASAS56", "ASASPR", "BASDAI50", "ASDASCII", "ASDASMI", "ASDASCIW",
                           "ACR20", "ACR50", "ACR70", "EULAR"]
RESPONSE_ENDPOINTS: tuple[str, ...] = get_args(ResponseEndpoint)


class DerivationSettings(_Model):
    """The plan's derivation choices: the one source of the values :mod:`sap.derive` uses (mapped onto
    :class:`sap.derive.options.DeriveOptions` in :func:`sap.derivations.derive_options_for_plan` only)."""

    input_scale: Literal["0-10", "0-100"] = "0-10"
    asdas_coefficients: Literal["unrounded", "rounded"] = "unrounded"
    crp_floor_mg_l: Optional[float] = Field(2.0, ge=0)
    basfi_max_missing: int = Field(2, ge=0, le=9)
    asas_pain_domain: Literal["TBPAIN", "SPPAIN"] = "SPPAIN"
    basdai50_rule: Literal["relative", "relative_or_absolute"] = "relative"
    partial_remission_threshold: Literal["le2", "lt2"] = "le2"
    responses: tuple[ResponseEndpoint, ...] = ("ASAS20", "ASAS40", "ASAS56", "ASASPR", "BASDAI50", "ASDASCII",
                                               "ASDASMI")
    score_disagreement_tolerance: float = Field(0.01, ge=0)
    text: str = ""


class SyntheticSettings(_Model):
    seed: int
    n: Optional[int] = None
    notes: str = ""


class DataSettings(_Model):
    """Which datasets a run needs and which data contract they are checked against.

    ``contract``: ``msc-adam`` is the full contract of DESIGN.md (AS/RA parameters, ranges, visit windows);
    ``adam`` is the generic ADaM core for plans on other studies' real data (ADSL one row per subject, every
    subject known to ADSL, Y/N flags, the columns listed in ``required_columns``).
    """

    required_datasets: tuple[str, ...] = ("adsl", "adqs", "adlb", "adae")
    optional_datasets: tuple[str, ...] = ("adex",)
    subject_variable: str = "USUBJID"
    contract: Literal["msc-adam", "adam"] = "msc-adam"
    required_columns: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    synthetic: Optional[SyntheticSettings] = None


class Objective(_Model):
    id: str
    level: Literal["primary", "secondary", "exploratory"]
    text: str


class PublishedValue(_Model):
    """A number reported in a publication that this plan's run is expected to reproduce."""

    label: str
    value: float
    precision: float
    analysis: str
    statistic: str
    visit: Optional[float] = None
    source: str


class Plan(_Model):
    id: str
    title: str
    short_title: str
    version: str
    registration: str = ""
    indication: str
    sponsor: str = ""
    source_documents: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
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
        for kind, items in (("populations", self.populations), ("endpoints", self.endpoints),
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
        for pv in self.published:
            if pv.analysis not in analyses:
                errors.append(f"published[{pv.label}].analysis: unknown analysis {pv.analysis!r}")
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


# --------------------------------------------------------------------------- loading and hashing
def _format_validation_error(exc: ValidationError, source: str) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        if err["loc"] and msg.startswith(f"{err['loc'][0]}["):  # the message names its own location by id
            loc = ""
        parts.append(f"{loc}: {msg}" if loc else msg)
    return f"invalid plan {source}: " + "; ".join(parts)


def plan_from_mapping(data: Any, source: str = "<mapping>") -> Plan:
    """Validate a mapping (e.g. parsed YAML) as a Plan; raise PlanError naming the key on failure."""
    if not isinstance(data, dict):
        raise PlanError(f"invalid plan {source}: top level must be a mapping")
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_format_validation_error(exc, source)) from None


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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlanError(f"invalid plan {path}: YAML syntax error: {exc}") from None
    plan_obj = plan_from_mapping(data, str(path))
    if plan_obj.id != path.stem and path.parent == PLANS_DIR:
        raise PlanError(f"invalid plan {path}: id {plan_obj.id!r} does not match the file name")
    return plan_obj


def canonical_json(plan: Plan) -> str:
    """The plan as canonical JSON: validated values, sorted keys, no whitespace."""
    return json.dumps(plan.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def plan_sha256(plan: Plan) -> str:
    """Canonical SHA-256 of a plan (stable under key order, whitespace and comments)."""
    return hashlib.sha256(canonical_json(plan).encode("utf-8")).hexdigest()
