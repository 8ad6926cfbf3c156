"""Generator parameters per plan id: everything that is *not* plan content.

The plan says what is collected, when, in whom and how it is analysed. The numbers below say
what the synthetic truth is: effect sizes, effect time course, dropout, missed visits, rescue,
DLT and adverse-event rates, enrolment calendar. They are documented in ``CALIBRATION.md``.

Treatment effect model (see :mod:`synthetic_data.trajectories`): each subject's fractional
reduction of disease activity at study day t is ``f = min(f_max, E_arm * u_i * g(t))`` where

* ``E_arm`` is ``placebo_effect`` for placebo/control arms, or for cell arms
  ``placebo_effect + emax * dose / (ed50 + dose)`` (dose in 10^6 cells/kg; ``arm_effects``
  overrides per arm id, e.g. an active comparator);
* ``u_i`` is the subject's responsiveness, lognormal with mean 1 and log-SD ``u_sd``;
* ``g(t)`` rises as ``1 - exp(-t / tau_on_days)`` from the first infusion, stays for
  ``plateau_days`` after each infusion, then wanes as ``exp(-(t - t_end) / tau_i)`` with the
  subject's time constant ``tau_i = tau_off_days * exp(tau_off_sd * N(0, 1))``;
* plus ``p_i * (1 - exp(-t / tau_on_days))``, ``p_i ~ N(persistent_effect, persistent_sd)``, that does not wane (regression to the
  mean, background therapy), in every dosed subject.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class AETerm:
    """One MedDRA preferred term with its system organ class and the generator's rates.

    ``rate``: expected events per subject over the study in an active (cell) arm; ``control_factor``
    multiplies it in placebo/control arms; ``timing``: ``infusion`` (day of/after an infusion),
    ``early`` (first 35 days) or ``any``; ``grades``: probabilities of CTCAE grade 1-4;
    ``p_serious_g3``: probability a grade >= 3 event is serious; ``p_related``: probability
    an event in a cell arm is related (halved in control arms)."""

    decod: str
    bodsys: str
    verbatim: tuple[str, ...]
    rate: float
    control_factor: float
    timing: str
    grades: tuple[float, float, float, float]
    p_related: float
    p_serious_g3: float = 0.5
    mean_days: float = 4.0
    dlt_candidate: bool = False


GEN = "General disorders and administration site conditions"
INF = "Infections and infestations"
AE_TERMS: tuple[AETerm, ...] = (
    AETerm("Infusion related reaction", "Injury, poisoning and procedural complications",
           ("infusion reaction", "infusion-related reaction"), 0.25, 0.3, "infusion", (0.6, 0.35, 0.05, 0), 0.95,
           mean_days=1.5, dlt_candidate=True),
    AETerm("Pyrexia", GEN, ("fever", "low grade fever", "pyrexia"), 0.30, 0.4, "infusion", (0.7, 0.27, 0.03, 0),
           0.85, mean_days=1.5, dlt_candidate=True),
    AETerm("Chills", GEN, ("chills", "rigors"), 0.08, 0.3, "infusion", (0.85, 0.15, 0, 0), 0.8, mean_days=1.0),
    AETerm("Fatigue", GEN, ("fatigue", "tiredness"), 0.15, 0.8, "any", (0.8, 0.2, 0, 0), 0.3, mean_days=7),
    AETerm("Headache", "Nervous system disorders", ("headache",), 0.18, 0.7, "early", (0.8, 0.2, 0, 0), 0.4,
           mean_days=2),
    AETerm("Dizziness", "Nervous system disorders", ("dizziness",), 0.06, 0.8, "any", (0.9, 0.1, 0, 0), 0.2),
    AETerm("Nausea", "Gastrointestinal disorders", ("nausea",), 0.08, 0.8, "early", (0.85, 0.15, 0, 0), 0.3),
    AETerm("Dyspepsia", "Gastrointestinal disorders", ("dyspepsia", "epigastric discomfort"), 0.07, 1.0, "any",
           (0.85, 0.15, 0, 0), 0.05, mean_days=10),
    AETerm("Upper respiratory tract infection", INF, ("upper respiratory tract infection", "common cold"),
           0.22, 0.9, "any", (0.75, 0.25, 0, 0), 0.1, mean_days=7),
    AETerm("Nasopharyngitis", INF, ("nasopharyngitis",), 0.10, 0.9, "any", (0.9, 0.1, 0, 0), 0.05, mean_days=6),
    AETerm("Urinary tract infection", INF, ("urinary tract infection",), 0.05, 0.9, "any", (0.6, 0.4, 0, 0), 0.05,
           mean_days=7),
    AETerm("Pneumonia", INF, ("pneumonia",), 0.015, 0.6, "any", (0, 0.4, 0.55, 0.05), 0.3, 0.9, mean_days=12),
    AETerm("Herpes zoster", INF, ("herpes zoster", "shingles"), 0.015, 0.6, "any", (0.3, 0.6, 0.1, 0), 0.3,
           mean_days=14),
    AETerm("Hypersensitivity", "Immune system disorders", ("allergic reaction", "hypersensitivity"), 0.04, 0.3,
           "infusion", (0.5, 0.4, 0.1, 0), 0.9, 0.6, mean_days=2, dlt_candidate=True),
    AETerm("Rash", "Skin and subcutaneous tissue disorders", ("rash", "skin rash"), 0.06, 0.6, "early",
           (0.8, 0.2, 0, 0), 0.5, mean_days=6),
    AETerm("Pruritus", "Skin and subcutaneous tissue disorders", ("itching",), 0.04, 0.7, "any", (0.9, 0.1, 0, 0),
           0.3, mean_days=5),
    AETerm("Arthralgia", "Musculoskeletal and connective tissue disorders", ("joint pain",), 0.08, 1.0, "any",
           (0.7, 0.3, 0, 0), 0.05, mean_days=10),
    AETerm("Alanine aminotransferase increased", "Investigations", ("ALT increased", "raised ALT"), 0.05, 0.8,
           "any", (0.7, 0.25, 0.05, 0), 0.4, 0.1, mean_days=14, dlt_candidate=True),
    AETerm("Thrombophlebitis", "Vascular disorders", ("phlebitis at infusion site",), 0.02, 0.3, "infusion",
           (0.6, 0.35, 0.05, 0), 0.8, 0.5, mean_days=7),
    AETerm("Uveitis", "Eye disorders", ("anterior uveitis", "iritis"), 0.03, 1.0, "any", (0.4, 0.55, 0.05, 0),
           0.05, 0.3, mean_days=21),
)

#: Terms used for a simulated dose-limiting toxicity (grade 3-4, related, within the DLT window).
DLT_TERMS = tuple(t for t in AE_TERMS if t.dlt_candidate)


@dataclass(frozen=True)
class ConditionalRegimen:
    """A treatment added during the study in the subjects of one arm whose disease is not alleviated at a scheduled
    assessment (:mod:`synthetic_data.addon`): started on the day of the first of ``assess_visits`` (AVISITN) where
    DAS28-CRP > ``das28_above``, then every ``every_days`` before day ``last_day`` (days since the first
    administration); its effect removes the fraction ``effect`` of the remaining activity (rising with
    ``tau_on_days``)."""

    name: str
    dose: float
    unit: str
    every_days: int
    last_day: int
    assess_visits: tuple[float, ...]
    das28_above: float
    effect: float


@dataclass(frozen=True)
class SynthParams:
    """Synthetic-truth parameters of one plan (all documented in CALIBRATION.md)."""

    studyid: str
    start_date: str = "2022-03-01"
    sites: tuple[str, ...] = ("01", "02", "03")
    # ---- eligibility on the observed baseline (0-10 BASDAI; VAS mm)
    min_basdai: float | None = 4.0
    min_tbpain: float | None = None
    min_das_joints: int | None = None          # RA: SJC28 and TJC28 both at least this
    activity_shift: float = 0.0                # shifts the baseline latent (disease activity)
    activity_sd: float = 1.0                   # SD of the baseline latent
    sd_subj_scale: float = 1.0                 # multiplies every item's own between-subject SD
    item_noise_scale: float = 1.0              # multiplies every item's visit-level noise SD
    item_overrides: dict = field(default_factory=dict)  # PARAMCD -> {ItemSpec field: value}
    # ---- demographics
    p_male: float = 0.8
    age_mean: float = 32.0
    age_sd: float = 8.0
    age_range: tuple[int, int] = (18, 65)
    p_hlab27: float = 0.9
    # ---- treatment effect (see module docstring)
    placebo_effect: float = 0.12
    emax: float = 0.45
    ed50: float = 1.0
    arm_effects: dict = field(default_factory=dict)
    default_cell_dose: float = 1.0             # cell arms without a per-kg dose (effect only)
    u_sd: float = 0.45
    f_max: float = 0.92
    tau_on_days: float = 7.0
    plateau_days: float = 14.0
    tau_off_days: float = 42.0
    tau_off_sd: float = 0.0                    # log-SD of the subject's waning time constant
    persistent_effect: float = 0.0             # non-waning part of the effect (all dosed subjects)
    persistent_sd: float = 0.0                 # between-subject SD of the non-waning part (may be < 0: flare)
    # ---- noise
    ar_rho: float = 0.5
    visit_sd: float = 1.0
    day_sd_fraction: float = 1 / 6            # SD of the visit day = window width * this
    # ---- intercurrent events and missing data
    dropout_fraction: float = 0.12
    dropout_activity_beta: float = 0.6         # log-odds of dropout hazard per unit of BASDAI-like activity
    p_missed_visit: float = 0.04
    p_not_dosed: float = 0.02                  # randomized but never infused (not in SAF/FAS)
    p_missed_infusion: float = 0.03            # a scheduled infusion skipped while on study
    p_major_deviation: float = 0.05
    p_rescue: float = 0.25                     # among subjects with high activity after week 8
    rescue_effect: float = 0.25
    rescue_from_day: int = 57
    # ---- Phase 1
    dlt_probs: dict = field(default_factory=dict)  # arm id -> true DLT probability
    p_not_evaluable: float = 0.06              # Phase 1 subject leaves before the end of the DLT window
    cohort_gap_days: int = 10                  # safety review between cohorts
    # ---- Phase 2 / randomized enrolment
    accrual_days_mean: float = 4.0
    strata_rules: dict = field(default_factory=dict)  # STRATn -> (PARAMCD, cut): level 0 if value < cut
    # ---- adverse events
    ae_rate_scale: float = 1.0
    p_pretreatment_ae: float = 0.1
    # ---- non-infusion regimens (arm id -> (treatment name, dose, unit, first day, interval days, n doses))
    other_regimens: dict = field(default_factory=dict)
    fixed_cell_dose: dict = field(default_factory=dict)  # arm id -> (dose, unit) for flat (not per-kg) doses
    product_names: dict = field(default_factory=dict)  # arm id -> ADEX EXTRT of its infusions (default: arm label)
    conditional_regimens: dict = field(default_factory=dict)  # arm id -> ConditionalRegimen
    default_n: int | None = None               # subjects when neither n nor the plan's synthetic n is given
    # ---- calibration to a published summary (synthetic_data.calibration; single-arm plans)
    calibration_target: dict | None = None     # summary to match; None = plain simulation
    calibration_pool_factor: int = 6           # candidates simulated per subject kept

    def with_(self, **changes) -> "SynthParams":
        return replace(self, **changes)


#: Wang 2013 abstract (Cell Transplant 2014;23:1293): n, week-4 ASAS20 responders, mean ASAS20 response
#: duration (weeks), ASDAS-CRP mean and SD at weeks 0, 4, 20, serious AEs. Counts exact, the rest to 1 decimal.
WANG2013_PUBLISHED = {"n": 31, "asas20_w4": 24, "duration": 7.1, "asdas_mean_0": 3.6, "asdas_sd_0": 0.6,
                      "asdas_mean_4": 2.4, "asdas_sd_4": 0.5, "asdas_mean_20": 3.2, "asdas_sd_20": 0.8, "sae": 0}

PARAMS: dict[str, SynthParams] = {
    "cg-bm1": SynthParams(
        studyid="CG-BM1-AS-101",
        min_tbpain=40.0,
        dlt_probs={"DL1": 0.05, "DL2": 0.12, "DL3": 0.30},
        strata_rules={"STRAT1": ("CRP", 10.0)},
        # background celecoxib and regression to the mean: a non-waning effect in every dosed subject, so that
        # placebo ASAS20 is about 20% at week 12 (typical of NSAID-background placebo arms in axSpA trials)
        placebo_effect=0.12, emax=0.45, ed50=1.0, persistent_effect=0.12, persistent_sd=0.12,
        # ADEX EXTRT names the product (one exposure block for every CG-BM1 dose level; EXDOSE holds the dose)
        product_names={"DL1": "CG-BM1", "DL2": "CG-BM1", "DL3": "CG-BM1", "CGBM1": "CG-BM1", "PBO": "Placebo"},
    ),
    "wang2013": SynthParams(
        # near the published summary on average (CALIBRATION.md): homogeneous, noisy within subject,
        # short-lived MSC effect (waning time constant 5 d, log-SD 2.2) plus a non-waning part that differs
        # by subject; the replica is then selected from a 6x candidate pool to match the summary exactly
        calibration_target=WANG2013_PUBLISHED, calibration_pool_factor=6,
        studyid="WANG2013", start_date="2010-09-01", sites=("01",),
        p_male=0.87, age_mean=29.0, age_sd=7.0,
        activity_shift=-0.2, activity_sd=0.4, sd_subj_scale=0.3, item_noise_scale=2.6, visit_sd=1.0, ar_rho=0.0,
        item_overrides={"CRP": {"sd_subj": 0.4, "sens": -1.6}},
        placebo_effect=0.0, emax=0.30, ed50=0.0, default_cell_dose=1.0, u_sd=0.1,
        tau_on_days=4.0, plateau_days=10.0, tau_off_days=5.0, tau_off_sd=2.2,
        persistent_effect=0.12, persistent_sd=0.1,
        dropout_fraction=0.0, p_missed_visit=0.0, p_not_dosed=0.0, p_missed_infusion=0.0,
        p_major_deviation=0.0, p_rescue=0.0, ae_rate_scale=0.0, p_pretreatment_ae=0.0,
        accrual_days_mean=6.0,
    ),
    "ucmsc-as": SynthParams(
        studyid="UCMSC-AS-01", start_date="2018-05-01",
        # the registered course (NCT05962762 enrolment 9, anticipated): every dose level cleared by its first
        # 3 subjects, none replaced, so the 3+3 rule enrols 9 and the MTD is not reached within the dose range
        dlt_probs={"D1": 0.0, "D3": 0.0, "D5": 0.0}, p_not_evaluable=0.0,
        placebo_effect=0.05, emax=0.40, ed50=2.0, plateau_days=21.0, tau_off_days=70.0,
        dropout_fraction=0.15, cohort_gap_days=14,
        product_names={"D1": "UC-MSC", "D3": "UC-MSC", "D5": "UC-MSC"},
    ),
    "msc-etanercept": SynthParams(
        studyid="MSC-ETN-01", start_date="2012-01-10",
        placebo_effect=0.0, emax=0.42, ed50=0.5, plateau_days=21.0, tau_off_days=56.0,
        arm_effects={"ETN": 0.55},
        product_names={"MSC": "MSC"},  # ADEX EXTRT names the product; the dose is EXDOSE (1.0 10^6 cells/kg)
        other_regimens={"ETN": ("Etanercept", 50.0, "mg", 0, 7, 48)},
        dropout_fraction=0.15,
    ),
    "ucmsc-ra": SynthParams(
        studyid="UCMSC-RA-01", start_date="2013-05-01", sites=("01", "02", "03", "04"),
        min_basdai=None, min_das_joints=3, p_male=0.2, age_mean=48.0, age_sd=11.0, age_range=(18, 70),
        p_hlab27=0.08,
        # the combination arm gets the UC-MSC effect; DMARDs are added only where the disease is not alleviated
        # (NCT01547091: "if the disease is still not alleviated"), with the DMARD arm's effect from then on
        placebo_effect=0.0, arm_effects={"UCMSC": 0.30, "DMARD": 0.32, "COMBO": 0.30},
        plateau_days=60.0, tau_off_days=90.0,
        fixed_cell_dose={"UCMSC": (40.0, "10^6 cells"), "COMBO": (40.0, "10^6 cells")},
        product_names={"UCMSC": "UC-MSC", "COMBO": "UC-MSC"},
        other_regimens={"DMARD": ("Methotrexate (4-weekly dispensing)", 60.0, "mg", 0, 28, 13)},
        conditional_regimens={"COMBO": ConditionalRegimen("Methotrexate (4-weekly dispensing)", 60.0, "mg", 28, 337,
                                                          (12.0, 24.0, 36.0), 3.2, 0.32)},
        default_n=60,  # frozen data kept small (planned 200)
        dropout_fraction=0.15, rescue_from_day=169,
    ),
}


def params_for(plan_id: str) -> SynthParams:
    """Parameters of ``plan_id``; a plan without an entry gets generic AS parameters."""
    if plan_id in PARAMS:
        return PARAMS[plan_id]
    return SynthParams(studyid=plan_id.upper())
