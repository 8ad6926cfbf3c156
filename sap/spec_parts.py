"""Plan schema, the parts a statistician signs besides design and schedule: populations, endpoints and estimands
(ICH E9(R1)), analyses (method and its options, parsed once by the method table), missing data, multiplicity,
the output catalogue, derivation settings, data settings, objectives and published values."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field, SerializeAsAny, ValidationError, ValidationInfo, field_validator, model_validator

from sap.expressions import FilterSyntaxError, parse_filter
from sap.registry import REGISTRY, MethodOptions, options_model
from sap.spec_base import PlanModel
from sap.spec_criteria import PRESET_IDS, ResponseCriterion, preset_criteria
from sap.spec_episodes import EpisodeRules


# --------------------------------------------------------------------------- populations
class Population(PlanModel):
    id: str
    label: str
    #: ADSL flag variable (value "Y" selects the subject); None = every subject in ADSL
    flag: Optional[str] = None
    dataset: str = "adsl"
    definition: str


# --------------------------------------------------------------------------- endpoints and estimands
class IntercurrentEvent(PlanModel):
    event: str
    strategy: Literal["treatment_policy", "composite", "hypothetical", "while_on_treatment", "principal_stratum"]
    handling: str


class Estimand(PlanModel):
    population: str
    variable: str
    intercurrent_events: tuple[IntercurrentEvent, ...] = ()
    summary: str
    treatment: str = ""


class Endpoint(PlanModel):
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
    #: event and censoring rules of a duration-of-response / time-to-response endpoint (sap.spec_episodes)
    episode: Optional[EpisodeRules] = None
    #: True: absent data give its analyses a "no data" result; False: absent data stop the run (exit 2)
    optional: bool = False


# --------------------------------------------------------------------------- analyses
class DataSelection(PlanModel):
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


class Analysis(PlanModel):
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


class MissingData(PlanModel):
    binary: Literal["nri", "observed_case"] = "nri"
    continuous: str = "MMRM under missing at random using all observed post-baseline data"
    sensitivity: tuple[str, ...] = ()
    text: str = ""


class Hypothesis(PlanModel):
    """One member of a multiplicity family: a comparison of an analysis at one visit."""

    analysis: str
    visit: Optional[float] = None
    label: str


class Multiplicity(PlanModel):
    strategy: Literal["none", "fixed_sequence", "holm", "hochberg", "bonferroni"] = "none"
    alpha: float = 0.05
    family: tuple[Hypothesis, ...] = ()
    text: str


class Output(PlanModel):
    id: str
    kind: Literal["table", "figure", "listing"]
    title: str
    analyses: tuple[str, ...] = ()
    population: Optional[str] = None
    section: Literal["disposition", "baseline", "exposure", "efficacy", "safety", "escalation", "reproduction"]
    figure: Optional[Literal["mean_change", "response_rates", "km", "forest", "swimmer", "spaghetti"]] = None
    footnote: str = ""


#: Response endpoints a plan may derive without defining them: the presets of :mod:`sap.spec_criteria` (ASAS,
#: BASDAI50, ASDAS, ACR, EULAR). Every response is plan data: these presets or the plan's ``derivations.criteria``.
RESPONSE_ENDPOINTS: tuple[str, ...] = PRESET_IDS


class DerivationSettings(PlanModel):
    """The plan's derivation choices: the one source of the values :mod:`sap.derive` uses (mapped onto
    :class:`sap.derive.options.DeriveOptions` in :func:`sap.derivations.derive_options_for_plan` only).

    ``criteria``: the plan's own response criteria (:class:`sap.spec_criteria.ResponseCriterion`); one with a
    preset's id replaces the preset. ``responses`` lists what is derived: presets and the plan's criteria."""

    input_scale: Literal["0-10", "0-100"] = "0-10"
    asdas_coefficients: Literal["unrounded", "rounded"] = "unrounded"
    crp_floor_mg_l: Optional[float] = Field(2.0, ge=0)
    basfi_max_missing: int = Field(2, ge=0, le=9)
    asas_pain_domain: Literal["TBPAIN", "SPPAIN"] = "SPPAIN"
    basdai50_rule: Literal["relative", "relative_or_absolute"] = "relative"
    partial_remission_threshold: Literal["le2", "lt2"] = "le2"
    criteria: tuple[ResponseCriterion, ...] = ()
    responses: tuple[str, ...] = ("ASAS20", "ASAS40", "ASAS56", "ASASPR", "BASDAI50", "ASDASCII", "ASDASMI")
    score_disagreement_tolerance: float = Field(0.01, ge=0)
    text: str = ""

    @field_validator("responses")
    @classmethod
    def _known_responses(cls, v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        own = [c.id for c in info.data.get("criteria", ())]
        for i, code in enumerate(v):
            if code not in RESPONSE_ENDPOINTS and code not in own:
                raise ValueError(f"item {i}: unknown response {code!r}; known: {', '.join(RESPONSE_ENDPOINTS)} "
                                 "and the plan's own derivations.criteria")
        if len(set(v)) != len(v):
            raise ValueError(f"a response is listed twice: {', '.join(v)}")
        return v

    @field_validator("criteria")
    @classmethod
    def _unique_criteria(cls, v: tuple[ResponseCriterion, ...]) -> tuple[ResponseCriterion, ...]:
        ids = [c.id for c in v]
        if len(set(ids)) != len(ids):
            raise ValueError(f"a criterion id is defined twice: {', '.join(ids)}")
        return v

    def response_criteria(self) -> tuple[ResponseCriterion, ...]:
        """The criterion of every domain-count response in ``responses``, in that order: the plan's own, else the
        preset (built with the plan's ``basdai50_rule`` and ``partial_remission_threshold``)."""
        known = preset_criteria(basdai50_rule=self.basdai50_rule,
                                partial_remission_rule=self.partial_remission_threshold)
        known.update({c.id: c for c in self.criteria})
        return tuple(known[code] for code in self.responses if code in known)


class SyntheticSettings(PlanModel):
    """The plan's frozen synthetic data: generator seed, number of subjects and ``notes``, how the data were made
    (a plan with published values prints them beside its reproduction table, in the report and the SAP)."""

    seed: int
    n: Optional[int] = None
    notes: str = ""


class PlanRange(PlanModel):
    """A plausible range the plan sets for ``dataset.column`` (of one ``paramcd``, or every record), replacing the
    contract's range for the same column and parameter (:mod:`sap.data.defaults`); None = unbounded."""

    dataset: str = Field(min_length=1)
    column: str = "AVAL"
    paramcd: Optional[str] = None
    lo: Optional[float] = None
    hi: Optional[float] = None

    @model_validator(mode="after")
    def _ordered(self) -> "PlanRange":
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise ValueError(f"range {self.dataset}.{self.column}: lo {self.lo:g} is above hi {self.hi:g}")
        return self


class DataSettings(PlanModel):
    """Which datasets a run needs and which data contract they are checked against.

    ``contract``: ``msc-adam`` is the full contract of DESIGN.md (AS/RA parameters, ranges, visit windows);
    ``adam`` is the generic ADaM core for plans on other studies' real data (ADSL one row per subject, every
    subject known to ADSL, Y/N flags, the columns listed in ``required_columns``). ``ranges`` replace the contract's
    plausible ranges for their column and parameter.
    """

    required_datasets: tuple[str, ...] = ("adsl", "adqs", "adlb", "adae")
    optional_datasets: tuple[str, ...] = ("adex",)
    subject_variable: str = "USUBJID"
    contract: Literal["msc-adam", "adam"] = "msc-adam"
    required_columns: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    #: plausible ranges replacing the contract's (e.g. AGE up to 120 years, CRP up to 1000 mg/L)
    ranges: tuple[PlanRange, ...] = ()
    #: the record flag marking the analysed record of a subject, parameter and visit in a dataset that has it
    #: (records with flag = "Y" are analysed; None: every record selected is analysed)
    analysis_flag: Optional[str] = Field("ANL01FL", pattern=r"^[A-Z][A-Z0-9]{0,7}$")
    synthetic: Optional[SyntheticSettings] = None


class Objective(PlanModel):
    id: str
    level: Literal["primary", "secondary", "exploratory"]
    text: str


class PublishedValue(PlanModel):
    """A number reported in a publication, set beside this run's value (:mod:`reports.reproduction`).

    The run's value is read from the result rows of ``analysis`` with ``statistic`` (and ``visit``; ``row``: the
    rows' ``label`` when several remain), in result column ``column``. ``comparison``: ``rounded`` agrees when the
    run's value rounds to ``value`` at ``precision`` (|run - value| <= precision / 2; 0 = exact); ``below`` /
    ``above`` is a published direction such as "p < 0.05" (``value`` = 0.05, no precision): agrees when the run's
    value is strictly below / above ``value``."""

    label: str
    value: float
    precision: Optional[float] = Field(None, ge=0)
    analysis: str
    statistic: str
    visit: Optional[float] = None
    row: Optional[str] = None
    column: Literal["estimate", "n", "p_value"] = "estimate"
    comparison: Literal["rounded", "below", "above"] = "rounded"
    source: str

    @model_validator(mode="after")
    def _precision_fits_comparison(self) -> "PublishedValue":
        if self.comparison == "rounded" and self.precision is None:
            raise ValueError(f"published[{self.label}].precision: needed to compare a value rounded to the "
                             f"published precision (or give comparison: below / above for a direction)")
        if self.comparison != "rounded" and self.precision is not None:
            raise ValueError(f"published[{self.label}].precision: a direction ({self.comparison} {self.value:g}) "
                             f"has no precision")
        return self

    def direction_text(self) -> str:
        """'p > 0.05' for a direction (the published statement), '' for a rounded value."""
        if self.comparison == "rounded":
            return ""
        what = "p" if self.column == "p_value" else self.statistic
        return f"{what} {'<' if self.comparison == 'below' else '>'} {self.value:g}"
