"""Registry of analysis methods a plan may name, with the options each accepts.

The plan schema (:mod:`sap.spec`) validates every analysis' ``method`` against :data:`METHODS` and its
``options`` against the method's options model, so a misspelt method or option is rejected when the plan
is loaded, before any data is read. The runner (:mod:`sap.pipeline`) maps the same names onto functions
in ``analyses/`` through :mod:`sap.adapters`.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Imputation = Literal["nri", "observed_case"]
CIMethod = Literal["clopper_pearson", "wilson", "jeffreys", "wald"]
DiffCIMethod = Literal["newcombe", "miettinen_nurminen", "mee", "wald"]
ConfType = Literal["log-log", "log", "plain"]


class NoOptions(_Options):
    """Method without options."""


class DemographicsOptions(_Options):
    continuous: tuple[str, ...] = ("AGE",)
    categorical: tuple[str, ...] = ("SEX",)
    labels: dict[str, str] = Field(default_factory=dict)


class ContinuousSummaryOptions(_Options):
    value: Literal["AVAL", "CHG", "PCHG"] = "CHG"
    include_baseline: bool = True


class ResponseRateOptions(_Options):
    ci_method: CIMethod = "clopper_pearson"
    level: float = Field(0.95, gt=0.5, lt=1.0)
    imputation: tuple[Imputation, ...] = ("nri", "observed_case")


class ResponseComparisonOptions(_Options):
    difference_ci: DiffCIMethod = "newcombe"
    additional_difference_ci: tuple[DiffCIMethod, ...] = ("miettinen_nurminen",)
    level: float = Field(0.95, gt=0.5, lt=1.0)
    imputation: tuple[Imputation, ...] = ("nri", "observed_case")
    stratified_by: tuple[str, ...] = ()
    tests: tuple[Literal["fisher", "cmh"], ...] = ("fisher",)
    odds_ratio: bool = True


class MMRMOptions(_Options):
    value: Literal["CHG", "AVAL", "PCHG"] = "CHG"
    covariance: Literal["us", "toep", "toeph", "ar1", "ar1h", "cs", "csh"] = "us"
    df: Literal["kenward_roger", "kenward_roger_linear", "satterthwaite", "residual"] = "kenward_roger"
    reml: bool = True
    covariates: tuple[str, ...] = ()
    visit_covariates: tuple[str, ...] = ("BASE",)
    fallback_covariance: tuple[str, ...] = ("toeph", "ar1h", "cs")
    level: float = Field(0.95, gt=0.5, lt=1.0)
    visits: Optional[tuple[float, ...]] = None


class AncovaOptions(_Options):
    value: Literal["CHG", "AVAL", "PCHG"] = "CHG"
    visit: Optional[float] = None
    covariates: tuple[str, ...] = ("BASE",)
    dose_response_variable: Optional[str] = None
    level: float = Field(0.95, gt=0.5, lt=1.0)


class DurationOptions(_Options):
    response: str = "ASAS20"
    conf_type: ConfType = "log-log"
    level: float = Field(0.95, gt=0.5, lt=1.0)
    timepoints: tuple[float, ...] = ()
    tau: Optional[float] = None
    compare: bool = True
    time_unit: Literal["weeks", "days"] = "weeks"


class TimeToEventOptions(_Options):
    paramcd: str
    time_variable: str = "AVAL"
    censor_variable: str = "CNSR"
    conf_type: ConfType = "log-log"
    level: float = Field(0.95, gt=0.5, lt=1.0)
    at_risk_times: tuple[float, ...] = ()
    timepoints: tuple[float, ...] = ()
    tau: Optional[float] = None
    compare: bool = True
    time_unit: str = "days"


class AEOptions(_Options):
    treatment_emergent_only: bool = True
    grade_variable: Literal["AETOXGR", "AESEV"] = "AETOXGR"
    terms: tuple[str, ...] = ()
    min_percent: float = 0.0


class DLTOptions(_Options):
    ci_method: CIMethod = "clopper_pearson"
    level: float = Field(0.95, gt=0.5, lt=1.0)


class EscalationOCOptions(_Options):
    scenarios: tuple[tuple[float, ...], ...] = ()
    n_simulations: int = Field(20000, ge=100)
    seed: int = 20131


class LabOptions(_Options):
    parameters: tuple[str, ...] = ()


class MultiplicityOptions(_Options):
    pass


#: method name -> (options model, one-line description, section of the clinical study report)
METHODS: dict[str, tuple[type[_Options], str, str]] = {
    "disposition": (NoOptions, "subject disposition with every subject accounted for", "disposition"),
    "populations": (NoOptions, "analysis populations by arm", "disposition"),
    "demographics": (DemographicsOptions, "demographics and baseline characteristics", "baseline"),
    "exposure": (NoOptions, "infusions received and cumulative dose", "exposure"),
    "continuous_summary": (ContinuousSummaryOptions, "descriptive statistics by visit (n, mean, SD, median, range)", "efficacy"),
    "response_rate": (ResponseRateOptions, "response proportion with exact/score CI by arm and visit", "efficacy"),
    "response_comparison": (ResponseComparisonOptions, "difference in response rates, tests and odds ratio", "efficacy"),
    "mmrm": (MMRMOptions, "mixed model for repeated measures: LS means and differences by visit", "efficacy"),
    "ancova": (AncovaOptions, "ANCOVA at one visit with LS means and differences", "efficacy"),
    "response_duration": (DurationOptions, "duration of response among responders (Kaplan-Meier)", "efficacy"),
    "time_to_response": (DurationOptions, "time to onset of response (Kaplan-Meier)", "efficacy"),
    "time_to_event": (TimeToEventOptions, "Kaplan-Meier analysis of an ADTTE parameter", "efficacy"),
    "ae_overview": (AEOptions, "overview of adverse events", "safety"),
    "ae_by_soc_pt": (AEOptions, "adverse events by system organ class and preferred term", "safety"),
    "ae_by_max_grade": (AEOptions, "adverse events by maximum grade", "safety"),
    "ae_serious": (AEOptions, "serious adverse events by SOC and PT", "safety"),
    "ae_special_interest": (AEOptions, "adverse events of special interest", "safety"),
    "ae_exposure_adjusted": (AEOptions, "exposure-adjusted incidence rates", "safety"),
    "dlt_rate": (DLTOptions, "dose-limiting toxicity rate per dose level", "safety"),
    "dose_escalation": (NoOptions, "3+3 decision history, MTD and recommended Phase 2 dose", "escalation"),
    "escalation_oc": (EscalationOCOptions, "exact operating characteristics of the 3+3 rule", "escalation"),
    "lab_shift": (LabOptions, "shift table: baseline vs worst post-baseline normal-range category", "safety"),
    "lab_change": (LabOptions, "laboratory values and change from baseline by visit", "safety"),
    "multiplicity": (NoOptions, "multiplicity adjustment of the plan's declared family", "efficacy"),
}


def method_names() -> list[str]:
    """Return the registered method names, sorted."""
    return sorted(METHODS)


def options_model(method: str) -> type[_Options]:
    """Return the pydantic options model of a registered method (KeyError if unknown)."""
    return METHODS[method][0]
