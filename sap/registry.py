"""The method table: every analysis method a plan may name, as one entry each.

An entry (:class:`MethodEntry`) states, for one method:

- its options model, parsed once when the plan is loaded and kept in the frozen plan (``Analysis.options``);
- how it selects its analysis frame (:class:`Selection`: default dataset, parameter and visit restriction);
- the function that computes it (``run``: ``"module:function"``, a function ``(ctx, analysis) -> AnalysisResult``
  that calls the pure statistics in ``analyses/``; a method whose frame is "records by group and visit" uses the
  generic adapter ``sap.adapters.by_visit:summarize_by_visit`` and names its ``analyses/`` function in
  ``compute``);
- the table shell(s) that display its result (``shells``: ``"module:function"`` in ``reports/shells/``) and the
  figure kinds of the output catalogue that can draw it;
- the sentence the SAP document prints for it (``sentence``: options -> text, every option written out).

The plan schema (:mod:`sap.spec`) sits below the statistics and the reports in the dependency rule
(ARCHITECTURE.md), so ``run`` and ``shells`` are references resolved by :func:`resolve` when first used, never
imported here; ``tests/sap/test_registry.py`` resolves every reference of every entry, so a misspelt name fails
the tests and the run (never skipped). Adding a method: one module in ``analyses/``, one entry here, one shell.
"""
from __future__ import annotations

from typing import Callable, Literal, Optional

from pydantic import Field, model_validator

from sap import vocabulary as voc
from sap.method_entry import MethodEntry, MethodOptions, Selection, resolve
from sap.options_exposure import ExposureOptions, exposure_sentence

__all__ = ["REGISTRY", "MethodEntry", "MethodOptions", "Selection", "method_entry", "method_names", "method_sentence",
           "options_model", "resolve"]


Imputation = Literal["nri", "observed_case"]
Level = Field(0.95, gt=0.5, lt=1.0)


class NoOptions(MethodOptions):
    """Method without options."""


class DemographicsOptions(MethodOptions):
    continuous: tuple[str, ...] = ("AGE",)
    categorical: tuple[str, ...] = ("SEX",)
    labels: dict[str, str] = Field(default_factory=dict)


class ContinuousSummaryOptions(MethodOptions):
    value: voc.Value = "CHG"
    include_baseline: bool = True
    #: add a Total column: every subject of the analysis pooled over the groups (e.g. all dose levels)
    total: bool = False


PairedTest = Literal["paired_t", "signed_rank"]


class PairedChangeOptions(MethodOptions):
    """``test``: the test of no change from baseline; ``sensitivity``: further tests reported beside it."""

    value: Literal["CHG"] = "CHG"
    test: PairedTest = "paired_t"
    sensitivity: tuple[PairedTest, ...] = ("signed_rank",)
    level: float = Level

    @model_validator(mode="after")
    def _distinct(self) -> "PairedChangeOptions":
        if self.test in self.sensitivity or len(set(self.sensitivity)) < len(self.sensitivity):
            raise ValueError(f"sensitivity {list(self.sensitivity)} repeats a test (test: {self.test})")
        return self


class ResponseRateOptions(MethodOptions):
    ci_method: voc.CIMethod = "clopper_pearson"
    level: float = Level
    imputation: tuple[Imputation, ...] = ("nri", "observed_case")
    #: add a Total column: every subject of the analysis pooled over the groups (e.g. all dose levels)
    total: bool = False


class ResponseComparisonOptions(MethodOptions):
    difference_ci: voc.DiffCIMethod = "newcombe"
    additional_difference_ci: tuple[voc.DiffCIMethod, ...] = ("miettinen_nurminen",)
    level: float = Level
    imputation: tuple[Imputation, ...] = ("nri", "observed_case")
    stratified_by: tuple[str, ...] = ()
    tests: tuple[Literal["fisher", "cmh"], ...] = ("fisher",)
    odds_ratio: bool = True


class MMRMOptions(MethodOptions):
    value: voc.Value = "CHG"
    covariance: voc.Covariance = "us"
    df: voc.DfMethod = "kenward_roger"
    reml: bool = True
    covariates: tuple[str, ...] = ()
    visit_covariates: tuple[str, ...] = ("BASE",)
    fallback_covariance: tuple[voc.Covariance, ...] = ("toeph", "ar1h", "cs")
    level: float = Level
    visits: Optional[tuple[float, ...]] = None


class AncovaOptions(MethodOptions):
    value: voc.Value = "CHG"
    visit: Optional[float] = None
    covariates: tuple[str, ...] = ("BASE",)
    dose_response_variable: Optional[str] = None
    level: float = Level


class DurationOptions(MethodOptions):
    #: the response the endpoint's episode is about (must agree with the endpoint's episode.response)
    response: str
    conf_type: voc.ConfType = "log-log"
    level: float = Level
    timepoints: tuple[float, ...] = ()
    tau: Optional[float] = None
    compare: bool = True
    time_unit: Literal["weeks", "days"] = "weeks"
    cox_fallback: tuple[voc.CoxFallback, ...] = ()


class TimeToEventOptions(MethodOptions):
    paramcd: str
    time_variable: str = "AVAL"
    censor_variable: str = "CNSR"
    conf_type: voc.ConfType = "log-log"
    level: float = Level
    at_risk_times: tuple[float, ...] = ()
    timepoints: tuple[float, ...] = ()
    tau: Optional[float] = None
    compare: bool = True
    time_unit: str = "days"
    cox_fallback: tuple[voc.CoxFallback, ...] = ()


class AEOptions(MethodOptions):
    treatment_emergent_only: bool = True
    grade_variable: Literal["AETOXGR", "AESEV"] = "AETOXGR"
    terms: tuple[str, ...] = ()
    min_percent: float = 0.0
    #: "related": only events related to the study treatment (AEREL; a missing relationship counts as related)
    relatedness: Literal["any", "related"] = "any"


class AEOverviewOptions(AEOptions):
    """``discontinuation``: the source of the "leading to discontinuation" row: ``AEACN`` (ADAE AEACN = DRUG
    WITHDRAWN) or ``ADSL.<flag>`` (subjects with the ADSL flag = Y, e.g. ADSL.DSRAEFL); None = AEACN where ADAE
    has it populated, else ADSL.DSRAEFL where ADSL has it, else no row (the footnote names the source either way).
    ``infusion_reaction_terms``: preferred terms of an "Infusion reaction" row (no row without them)."""

    discontinuation: Optional[str] = Field(None, pattern=r"^(AEACN|ADSL\.[A-Z][A-Z0-9_]{0,7})$")
    infusion_reaction_terms: tuple[str, ...] = ()


class DLTOptions(MethodOptions):
    ci_method: voc.CIMethod = "clopper_pearson"
    level: float = Level


class EscalationOCOptions(MethodOptions):
    scenarios: tuple[tuple[float, ...], ...] = ()
    n_simulations: int = Field(20000, ge=100)
    seed: int = 20131


class LabOptions(MethodOptions):
    parameters: tuple[str, ...] = ()


# --------------------------------------------------------------------------- SAP sentences
def _pct(level: float) -> str:
    return f"{level * 100:g}%"


def _list(values, empty: str = "none") -> str:
    return ", ".join(str(v) for v in values) if values else empty


def _imputations(values) -> str:
    return "; ".join(voc.IMPUTATION_LABELS[v].lower() for v in values)


def _s_none(description: str) -> Callable[[MethodOptions], str]:
    return lambda o: description[0].upper() + description[1:] + "; no options."


def _s_demographics(o: DemographicsOptions) -> str:
    return (f"Descriptive statistics (n, mean, SD, median, min, max) of {_list(o.continuous)}; counts and "
            f"percentages of {_list(o.categorical)}; by treatment group and in total.")


def _s_continuous(o: ContinuousSummaryOptions) -> str:
    base = "baseline included" if o.include_baseline else "baseline not shown"
    total = " and pooled over the groups (Total column)" if o.total else ""
    return f"Descriptive statistics of {voc.VALUE_LABELS[o.value]} by visit and treatment group{total} ({base})."


PAIRED_TEST_TEXT = {
    "paired_t": "paired t-test (t = mean change / SE, df = n - 1)",
    "signed_rank": ("Wilcoxon signed-rank test (zero differences dropped; exact p with fewer than 50 non-zero "
                    "differences and no ties, else normal approximation with continuity correction)"),
}


def _s_paired(o: PairedChangeOptions) -> str:
    sens = _list([PAIRED_TEST_TEXT[t] for t in o.sensitivity])
    return (f"Paired comparison of each visit with baseline over the subjects with both values: mean change from "
            f"baseline with SD and {_pct(o.level)} t confidence interval; test of no change (two-sided): "
            f"{PAIRED_TEST_TEXT[o.test]}; sensitivity: {sens}.")


def _s_rate(o: ResponseRateOptions) -> str:
    total = ", and pooled over the groups (Total column)," if o.total else ""
    return (f"Response proportion by group and visit{total} with {_pct(o.level)} {voc.CI_LABELS[o.ci_method]} "
            f"confidence intervals; missing data: {_imputations(o.imputation)}.")


def _s_comparison(o: ResponseComparisonOptions) -> str:
    extra = f"; also {_list([voc.CI_LABELS[m] for m in o.additional_difference_ci])}" \
        if o.additional_difference_ci else ""
    strata = f"; stratified by {_list(o.stratified_by)} (CMH weights)" if o.stratified_by else "; unstratified"
    tests = _list([{"fisher": "Fisher exact", "cmh": "Cochran-Mantel-Haenszel"}[t] for t in o.tests])
    return (f"Difference in response proportions (group minus reference) with {_pct(o.level)} "
            f"{voc.CI_LABELS[o.difference_ci]} confidence intervals{extra}{strata}; tests: {tests}; odds ratio "
            f"{'reported' if o.odds_ratio else 'not reported'}; missing data: {_imputations(o.imputation)}.")


def _s_mmrm(o: MMRMOptions) -> str:
    covs = "".join(f" + {c}" for c in o.covariates) + "".join(f" + {c} + {c} x visit" for c in o.visit_covariates)
    fallback = _list([voc.COVARIANCE_LABELS[c] for c in o.fallback_covariance])
    visits = _list([f"{v:g}" for v in o.visits], "the endpoint's visits") if o.visits else "the endpoint's visits"
    return (f"Mixed model for repeated measures: {o.value} = treatment + visit + treatment x visit{covs}; "
            f"{voc.COVARIANCE_LABELS[o.covariance]} covariance within subject (if it does not converge, in turn: "
            f"{fallback}); {'REML' if o.reml else 'maximum likelihood'} estimation; "
            f"{voc.DF_LABELS[o.df]} denominator degrees of freedom; LS means by group and visit and differences "
            f"versus the reference arm with {_pct(o.level)} confidence intervals; visits: {visits}.")


def _s_ancova(o: AncovaOptions) -> str:
    visit = "the endpoint's last visit" if o.visit is None else f"visit {o.visit:g}"
    dose = f"; dose-response test on {o.dose_response_variable}" if o.dose_response_variable else ""
    return (f"Analysis of covariance of {o.value} at {visit}: {o.value} = treatment"
            f"{''.join(f' + {c}' for c in o.covariates)}; LS means and differences versus the reference arm with "
            f"{_pct(o.level)} confidence intervals (residual df){dose}.")


def _s_duration(o: DurationOptions) -> str:
    times = f"; event-free rates at {_list([f'{t:g}' for t in o.timepoints])} {o.time_unit}" if o.timepoints else ""
    tau = f"; restricted mean to {o.tau:g} {o.time_unit}" if o.tau is not None else ""
    return (f"Kaplan-Meier estimate for {o.response} responders with {_pct(o.level)} confidence intervals "
            f"({o.conf_type} transformation); time in {o.time_unit}{times}{tau}; "
            f"{voc.cox_comparison(o.compare, o.cox_fallback)}.")


def _s_tte(o: TimeToEventOptions) -> str:
    times = f"; event-free rates at {_list([f'{t:g}' for t in o.timepoints])} {o.time_unit}" if o.timepoints else ""
    return (f"Kaplan-Meier analysis of ADTTE parameter {o.paramcd} (time {o.time_variable}, censoring "
            f"{o.censor_variable} = 1) with {_pct(o.level)} confidence intervals ({o.conf_type}); time in "
            f"{o.time_unit}{times}; {voc.cox_comparison(o.compare, o.cox_fallback)}.")


def _s_ae(o: AEOptions) -> str:
    scope = "treatment-emergent adverse events" if o.treatment_emergent_only else "all adverse events"
    if o.relatedness == "related":
        scope += " related to the study treatment (AEREL; a missing relationship counted as related)"
    terms = f"; terms: {_list(o.terms)}" if o.terms else ""
    cut = f"; preferred terms in at least {o.min_percent:g}% of subjects in any group" if o.min_percent else ""
    return f"Subjects with {scope} (n, %), grade from {o.grade_variable}{terms}{cut}."


def _s_ae_overview(o: AEOverviewOptions) -> str:
    source = {None: "AEACN = DRUG WITHDRAWN where ADAE has AEACN populated, else the ADSL flag DSRAEFL = Y",
              "AEACN": "AEACN = DRUG WITHDRAWN"}.get(o.discontinuation, f"{o.discontinuation} = Y")
    infusion = f"; infusion reactions: {_list(o.infusion_reaction_terms)}" if o.infusion_reaction_terms else ""
    return (_s_ae(o)[:-1] + f"; any, related, serious, grade >= 3 (or severe), leading to discontinuation "
            f"({source}), fatal, and dose-limiting toxicities where the plan has a DLT endpoint{infusion}.")


def _s_dlt(o: DLTOptions) -> str:
    return (f"Subjects with a dose-limiting toxicity in the DLT window per dose level, with {_pct(o.level)} "
            f"{voc.CI_LABELS[o.ci_method]} confidence intervals.")


def _s_oc(o: EscalationOCOptions) -> str:
    return (f"Exact operating characteristics of the plan's 3+3 rule for {len(o.scenarios)} true-DLT-rate "
            f"scenario(s) (probability of selecting each dose, expected sample size), checked by "
            f"{o.n_simulations} simulations (seed {o.seed}).")


def _s_lab(kind: str) -> Callable[[LabOptions], str]:
    return lambda o: f"{kind} for {_list(o.parameters, 'every laboratory parameter')}."


def _entry(name, options, description, section, selection, run, shells, sentence, **kw) -> MethodEntry:
    return MethodEntry(name, options, description, section, selection, run, tuple(shells), sentence, **kw)


_A = "sap.adapters."
_S = "reports.shells."
_SUBJECTS = Selection("adsl", subject_level=True)
_RESP = Selection("adresp", parameter="endpoint", endpoint_visits=True)
_QS = Selection("adeff", parameter="endpoint", endpoint_visits=True)
_AE = Selection("adae")

REGISTRY: dict[str, MethodEntry] = {e.name: e for e in (
    _entry("disposition", NoOptions, "subject disposition with every subject accounted for", "disposition",
           _SUBJECTS, _A + "baseline:disposition", [_S + "baseline:disposition_table"],
           _s_none("subject disposition with every subject accounted for")),
    _entry("populations", NoOptions, "analysis populations by arm", "disposition", _SUBJECTS,
           _A + "baseline:populations", [_S + "baseline:populations_table"], _s_none("analysis populations by arm")),
    _entry("demographics", DemographicsOptions, "demographics and baseline characteristics", "baseline",
           _SUBJECTS, _A + "baseline:demographics", [_S + "baseline:demographics_table"], _s_demographics),
    _entry("exposure", ExposureOptions, "administrations and cumulative dose per product in its own unit, treatment "
           "duration", "exposure", Selection("adex"), _A + "baseline:exposure", [_S + "baseline:exposure_table"],
           exposure_sentence),
    _entry("continuous_summary", ContinuousSummaryOptions,
           "descriptive statistics by visit (n, mean, SD, median, range)", "efficacy", _QS,
           _A + "continuous:continuous_summary", [_S + "continuous:summary_table"], _s_continuous,
           figures=("mean_change", "spaghetti")),
    _entry("paired_change", PairedChangeOptions,
           "paired comparison with baseline by visit: mean change, paired t-test, Wilcoxon signed-rank", "efficacy",
           _QS, _A + "by_visit:summarize_by_visit", [_S + "paired:paired_table"], _s_paired,
           compute="analyses.paired:summarize_paired_change", references="Student 1908; Wilcoxon 1945"),
    _entry("response_rate", ResponseRateOptions, "response proportion with exact/score CI by arm and visit",
           "efficacy", _RESP, _A + "binary:response_rate", [_S + "binary:rate_table"], _s_rate,
           figures=("response_rates",)),
    _entry("response_comparison", ResponseComparisonOptions, "difference in response rates, tests and odds ratio",
           "efficacy", _RESP, _A + "binary:response_comparison", [_S + "binary:comparison_table"], _s_comparison,
           figures=("forest",)),
    _entry("mmrm", MMRMOptions, "mixed model for repeated measures: LS means and differences by visit", "efficacy",
           _QS, _A + "mixed:mmrm", [_S + "mixed:mmrm_table"], _s_mmrm, figures=("mean_change",)),
    _entry("ancova", AncovaOptions, "ANCOVA at one visit with LS means and differences", "efficacy", _QS,
           _A + "mixed:ancova", [_S + "mixed:ancova_table"], _s_ancova),
    _entry("response_duration", DurationOptions, "duration of response among responders (Kaplan-Meier)",
           "efficacy", Selection("addur", parameter="endpoint"), _A + "duration:response_duration",
           [_S + "duration:duration_table"],
           _s_duration, figures=("km", "swimmer")),
    _entry("time_to_response", DurationOptions, "time to onset of response (Kaplan-Meier)", "efficacy",
           Selection("adonset", parameter="endpoint"), _A + "duration:time_to_response",
           [_S + "duration:duration_table"], _s_duration,
           figures=("km",)),
    _entry("time_to_event", TimeToEventOptions, "Kaplan-Meier analysis of an ADTTE parameter", "efficacy",
           Selection("adtte", parameter="paramcd"), _A + "duration:time_to_event",
           [_S + "duration:duration_table"], _s_tte,
           figures=("km",)),
    _entry("ae_overview", AEOverviewOptions, "overview of adverse events", "safety", _AE, _A + "safety:ae_overview",
           [_S + "safety:ae_overview_table"], _s_ae_overview),
    _entry("ae_by_soc_pt", AEOptions, "adverse events by system organ class and preferred term", "safety", _AE,
           _A + "safety:ae_by_soc_pt", [_S + "safety:ae_soc_pt_table"], _s_ae),
    _entry("ae_by_max_grade", AEOptions, "adverse events by maximum grade", "safety", _AE,
           _A + "safety:ae_by_max_grade", [_S + "safety:ae_max_grade_table"], _s_ae),
    _entry("ae_serious", AEOptions, "serious adverse events by SOC and PT", "safety", _AE,
           _A + "safety:ae_serious", [_S + "safety:ae_serious_table"], _s_ae),
    _entry("ae_special_interest", AEOptions, "adverse events of special interest", "safety", _AE,
           _A + "safety:ae_special_interest", [_S + "safety:ae_special_interest_table"], _s_ae),
    _entry("ae_exposure_adjusted", AEOptions, "exposure-adjusted incidence rates", "safety", _AE,
           _A + "safety:ae_exposure_adjusted", [_S + "safety:ae_rate_table"], _s_ae),
    _entry("dlt_rate", DLTOptions, "dose-limiting toxicity rate per dose level", "safety", _SUBJECTS,
           _A + "safety:dlt_rate", [_S + "safety:dlt_table"], _s_dlt),
    _entry("dose_escalation", NoOptions, "3+3 decision history, MTD and recommended Phase 2 dose", "escalation",
           _SUBJECTS, _A + "escalation:dose_escalation", [_S + "escalation:decision_table"],
           _s_none("3+3 decision history (the plan's rule), MTD and recommended Phase 2 dose")),
    _entry("escalation_oc", EscalationOCOptions, "exact operating characteristics of the 3+3 rule", "escalation",
           _SUBJECTS, _A + "escalation:escalation_oc", [_S + "escalation:oc_table"], _s_oc),
    _entry("lab_shift", LabOptions, "shift table: baseline vs worst post-baseline normal-range category", "safety",
           Selection("adlb"), _A + "safety:lab_shift", [_S + "safety:lab_shift_table"],
           _s_lab("Shift from the baseline to the worst post-baseline normal-range category")),
    _entry("lab_change", LabOptions, "laboratory values and change from baseline by visit", "safety",
           Selection("adlb"), _A + "safety:lab_change", [_S + "safety:lab_change_table"],
           _s_lab("Laboratory values and change from baseline by visit")),
    _entry("multiplicity", NoOptions, "multiplicity adjustment of the plan's declared family", "efficacy",
           _SUBJECTS, _A + "multiplicity:multiplicity", [_S + "multiplicity:multiplicity_table"],
           _s_none("multiplicity adjustment of the plan's declared family (strategy and order in the plan)"),
           after_all=True),
)}


def method_names() -> list[str]:
    """The registered method names, sorted."""
    return sorted(REGISTRY)


def method_entry(method: str) -> MethodEntry:
    """The registry entry of ``method`` (KeyError naming the known methods if unknown)."""
    try:
        return REGISTRY[method]
    except KeyError:
        raise KeyError(f"unknown method {method!r}; known methods: {', '.join(method_names())}") from None


def options_model(method: str) -> type[MethodOptions]:
    """The options model of a registered method."""
    return method_entry(method).options


def method_sentence(method: str, options: MethodOptions) -> str:
    """The SAP sentence of one analysis: the model statement with every option's value, defaults written out."""
    return method_entry(method).sentence(options)
