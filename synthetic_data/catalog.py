"""Catalogue of the raw parameters the generator can produce, and which ones a plan needs.

Each :class:`ItemSpec` describes one PARAMCD: label, unit, dataset (ADQS or ADLB), scale bounds, the
recorded precision (values are rounded to it, which also keeps the frozen CSV bytes stable) and the
measurement model (see :mod:`synthetic_data.measurements`). Which PARAMCDs a plan gets is decided
from its endpoints (:func:`required_parameters`): derived scores pull in their items (BASDAI ->
BASDAI1-6, ASAS20 -> PTGA, TBPAIN, NBPAIN, BASFI1-10, BASDAI5-6 ...), raw endpoints pull in
themselves; safety labs named by the plan's lab analyses (and CRP/ESR) are always produced.
"""
from __future__ import annotations

from dataclasses import dataclass

from sap.spec import Plan


@dataclass(frozen=True)
class ItemSpec:
    """One raw parameter.

    ``model``: ``bounded`` (additive latent model on the natural scale, clipped to [lo, hi]),
    ``count`` (Poisson with latent log-mean), ``lognormal`` (log-scale latent model) or
    ``safety`` (per-subject lognormal around the normal range, no disease link).
    ``mean``/``sd_subj``: baseline mean and between-subject SD not explained by the latent;
    ``load``: loading on the subject latent (``latent``: ``activity`` or ``structure``);
    ``visit_load``: loading on the subject-visit AR(1) latent; ``noise``: item-level noise SD;
    ``sens``: fraction of the treatment effect f(t) acting on the item (``bounded``: the value moves
    towards ``healthy`` by ``sens * f``; ``count``: mean multiplied by ``1 - sens * f``;
    ``lognormal``: log value shifted by ``sens * f``, negative = decrease).
    ``ratio``: the recorded ``ratio_of[0]`` divided by the recorded ``ratio_of[1]`` of the same
    subject-visit (e.g. the CD4+/CD8+ ratio), rounded to ``step``; no noise of its own.
    """

    paramcd: str
    param: str
    unit: str
    dataset: str
    model: str
    lo: float | None
    hi: float | None
    step: float
    mean: float
    sd_subj: float
    load: float = 0.0
    latent: str = "activity"
    visit_load: float = 0.0
    noise: float = 0.0
    sens: float = 0.0
    healthy: float = 0.0
    group: str = "efficacy"
    anrlo: float | None = None
    anrhi: float | None = None
    anrlo_f: float | None = None
    anrhi_f: float | None = None
    ratio_of: tuple[str, str] | None = None


def _nrs(code, label, mean, load, sens, sd=0.9, vload=0.45, noise=0.55):
    return ItemSpec(code, label, "0-10", "adqs", "bounded", 0, 10, 0.1, mean, sd, load,
                    visit_load=vload, noise=noise, sens=sens)


_BASDAI = [
    _nrs("BASDAI1", "BASDAI Q1 Fatigue", 6.0, 1.0, 0.85),
    _nrs("BASDAI2", "BASDAI Q2 Spinal pain", 6.5, 1.1, 1.0),
    _nrs("BASDAI3", "BASDAI Q3 Peripheral joint pain/swelling", 4.6, 1.0, 0.9, sd=1.4),
    _nrs("BASDAI4", "BASDAI Q4 Enthesitis (localized tenderness)", 5.0, 1.0, 0.9, sd=1.2),
    _nrs("BASDAI5", "BASDAI Q5 Morning stiffness severity", 6.4, 1.1, 1.0),
    _nrs("BASDAI6", "BASDAI Q6 Morning stiffness duration", 6.0, 1.1, 1.0),
]
_BASFI = [_nrs(f"BASFI{i}", f"BASFI Q{i}", m, 1.0, 0.75, sd=1.1) for i, m in
          enumerate((5.0, 4.6, 5.2, 4.8, 4.4, 5.0, 4.7, 5.4, 5.1, 4.9), start=1)]
_GLOBAL = [
    _nrs("PTGA", "Patient global assessment of disease activity (0-10)", 6.3, 1.1, 1.0),
    _nrs("PHGA", "Physician global assessment of disease activity (0-10)", 5.8, 1.0, 0.9),
]
_PAIN = [
    ItemSpec("TBPAIN", "Total back pain VAS (mm)", "mm", "adqs", "bounded", 0, 100, 1, 66, 9, 11,
             visit_load=4.5, noise=5.0, sens=1.0),
    ItemSpec("NBPAIN", "Nocturnal back pain VAS (mm)", "mm", "adqs", "bounded", 0, 100, 1, 62, 10, 11,
             visit_load=4.5, noise=5.5, sens=1.0),
]


def _mob(code, label, unit, mean, load, step, healthy, sd, noise, lo=0, hi=None):
    return ItemSpec(code, label, unit, "adqs", "bounded", lo, hi, step, mean, sd, load, latent="structure",
                    visit_load=0.0, noise=noise, sens=0.12, healthy=healthy)


_MOBILITY = [
    _mob("TRAGUSL", "Tragus-to-wall distance, left (cm)", "cm", 15.0, 3.5, 0.5, 10.0, 1.5, 0.6, lo=8),
    _mob("TRAGUSR", "Tragus-to-wall distance, right (cm)", "cm", 15.0, 3.5, 0.5, 10.0, 1.5, 0.6, lo=8),
    _mob("LATFLXL", "Lateral spinal flexion, left (cm)", "cm", 11.0, -3.0, 0.5, 18.0, 1.5, 0.6),
    _mob("LATFLXR", "Lateral spinal flexion, right (cm)", "cm", 11.0, -3.0, 0.5, 18.0, 1.5, 0.6),
    _mob("SCHOBER", "Modified Schober test (cm)", "cm", 3.6, -0.9, 0.1, 5.5, 0.5, 0.25),
    _mob("IMD", "Intermalleolar distance (cm)", "cm", 98.0, -12.0, 1, 115.0, 6.0, 2.5),
    _mob("CERVROTL", "Cervical rotation, left (degrees)", "degrees", 58.0, -12.0, 1, 80.0, 6.0, 3.0, hi=180),
    _mob("CERVROTR", "Cervical rotation, right (degrees)", "degrees", 58.0, -12.0, 1, 80.0, 6.0, 3.0, hi=180),
]
_COUNTS = [
    ItemSpec("SJC44", "Swollen joint count (44 joints)", "joints", "adqs", "count", 0, 44, 1, 0.3, 0.9, 0.5,
             visit_load=0.15, sens=0.9),
    ItemSpec("TJC44", "Tender joint count (44 joints)", "joints", "adqs", "count", 0, 44, 1, 0.9, 0.9, 0.5,
             visit_load=0.15, sens=0.9),
]
_IMAGING = [
    ItemSpec("MSASSS", "Modified Stoke AS Spine Score (0-72)", "units", "adqs", "bounded", 0, 72, 1, 14.0, 8.0,
             7.0, latent="structure", noise=1.0, sens=0.0),
    ItemSpec("ASSPIMRI", "ASspiMRI-a activity score (0-138)", "units", "adqs", "bounded", 0, 138, 1, 12.0, 5.0,
             4.0, noise=1.5, sens=0.6),
]
_RA = [
    ItemSpec("SJC28", "Swollen joint count (28 joints)", "joints", "adqs", "count", 0, 28, 1, 1.9, 0.45, 0.3,
             visit_load=0.1, sens=0.9),
    ItemSpec("TJC28", "Tender joint count (28 joints)", "joints", "adqs", "count", 0, 28, 1, 2.2, 0.45, 0.3,
             visit_load=0.1, sens=0.85),
    ItemSpec("PTGAVAS", "Patient global assessment VAS (mm)", "mm", "adqs", "bounded", 0, 100, 1, 62, 10, 10,
             visit_load=5, noise=6, sens=0.9),
    ItemSpec("PHGAVAS", "Physician global assessment VAS (mm)", "mm", "adqs", "bounded", 0, 100, 1, 58, 10, 10,
             visit_load=4, noise=5, sens=0.95),
    ItemSpec("PAINVAS", "Patient pain VAS (mm)", "mm", "adqs", "bounded", 0, 100, 1, 60, 10, 10,
             visit_load=5, noise=6, sens=0.9),
    ItemSpec("HAQDI", "HAQ Disability Index (0-3)", "0-3", "adqs", "bounded", 0, 3, 0.125, 1.45, 0.35, 0.3,
             visit_load=0.1, noise=0.15, sens=0.6),
]


def _lab(code, label, unit, mean_log_median, sd, load, sens, step, anrlo=None, anrhi=None, group="lab",
         vload=0.0, noise=0.2, lo=0.0, hi=None):
    return ItemSpec(code, label, unit, "adlb", "lognormal", lo, hi, step, mean_log_median, sd, load,
                    visit_load=vload, noise=noise, sens=sens, group=group, anrlo=anrlo, anrhi=anrhi)


_ACUTE = [
    _lab("CRP", "C-Reactive Protein (mg/L)", "mg/L", 11.0, 0.75, 0.35, -0.9, 0.1, 0.0, 5.0, vload=0.25,
         noise=0.3, lo=0.1),
    _lab("ESR", "Erythrocyte Sedimentation Rate (mm/h)", "mm/h", 28.0, 0.5, 0.25, -0.6, 1, 0.0, 15.0,
         vload=0.15, noise=0.2, lo=1, hi=140),
]
_CYTOKINES = [
    _lab("TNFA", "Tumor Necrosis Factor alpha (pg/mL)", "pg/mL", 12.0, 0.5, 0.15, -0.5, 0.01, group="cytokine"),
    _lab("BMP2", "Bone Morphogenetic Protein 2 (pg/mL)", "pg/mL", 95.0, 0.45, 0.05, -0.3, 0.1, group="cytokine"),
    _lab("IL6", "Interleukin 6 (pg/mL)", "pg/mL", 6.5, 0.6, 0.2, -0.5, 0.01, group="cytokine"),
    _lab("IL17", "Interleukin 17A (pg/mL)", "pg/mL", 9.0, 0.55, 0.15, -0.55, 0.01, group="cytokine"),
    _lab("IL2", "Interleukin 2 (pg/mL)", "pg/mL", 3.2, 0.5, 0.05, -0.2, 0.01, group="cytokine"),
    _lab("IL22", "Interleukin 22 (pg/mL)", "pg/mL", 14.0, 0.55, 0.1, -0.4, 0.01, group="cytokine"),
    _lab("IL23", "Interleukin 23 (pg/mL)", "pg/mL", 18.0, 0.5, 0.1, -0.4, 0.01, group="cytokine"),
    _lab("IL10", "Interleukin 10 (pg/mL)", "pg/mL", 4.0, 0.5, 0.0, 0.4, 0.01, group="cytokine"),
    _lab("TGFB", "Transforming Growth Factor beta (ng/mL)", "ng/mL", 22.0, 0.35, -0.05, 0.3, 0.01,
         group="cytokine"),
    _lab("IFNG", "Interferon gamma (pg/mL)", "pg/mL", 9.0, 0.55, 0.15, -0.45, 0.01, group="cytokine"),
    _lab("CCL2", "Monocyte Chemoattractant Protein 1 (CCL2) (pg/mL)", "pg/mL", 260.0, 0.4, 0.1, -0.3, 0.1,
         group="cytokine"),
]
_IMMUNE = [
    _lab("CD4", "CD4+ T cells (% of lymphocytes)", "%", 38.0, 0.15, 0.0, 0.0, 0.1, group="immune", hi=100),
    _lab("CD8", "CD8+ T cells (% of lymphocytes)", "%", 25.0, 0.2, 0.0, -0.05, 0.1, group="immune", hi=100),
    _lab("TREG", "Regulatory T cells (% of CD4+)", "%", 5.0, 0.25, -0.1, 0.35, 0.01, group="immune", hi=100),
    _lab("TH17", "Th17 cells (% of CD4+)", "%", 2.2, 0.35, 0.15, -0.4, 0.01, group="immune", hi=100),
    _lab("NK", "NK cells (% of lymphocytes)", "%", 14.0, 0.3, 0.0, 0.0, 0.1, group="immune", hi=100),
    _lab("MAIT", "MAIT cells (% of T cells)", "%", 3.0, 0.45, 0.05, -0.2, 0.01, group="immune", hi=100),
    _lab("MONO", "Monocytes (% of leukocytes)", "%", 6.5, 0.2, 0.05, -0.05, 0.1, group="immune", hi=100),
    _lab("NEUT", "Neutrophils (% of leukocytes)", "%", 60.0, 0.1, 0.03, -0.03, 0.1, group="immune", hi=100),
    _lab("BCELL", "B cells (% of lymphocytes)", "%", 11.0, 0.3, 0.0, 0.0, 0.1, group="immune", hi=100),
    _lab("TH1", "Th1 cells (% of CD4+)", "%", 16.0, 0.3, 0.1, -0.3, 0.01, group="immune", hi=100),
    _lab("TH2", "Th2 cells (% of CD4+)", "%", 2.8, 0.35, -0.05, 0.2, 0.01, group="immune", hi=100),
    _lab("CD3", "CD3+ T cells (% of lymphocytes)", "%", 68.0, 0.1, 0.0, 0.0, 0.1, group="immune", hi=100),
    ItemSpec("CD4CD8", "CD4+/CD8+ ratio", "ratio", "adlb", "ratio", None, None, 0.01, 0.0, 0.0, group="immune",
             ratio_of=("CD4", "CD8")),
]
_IMMUNOGLOBULINS = [
    _lab("IGA", "Immunoglobulin A (g/L)", "g/L", 3.0, 0.3, 0.1, -0.1, 0.01, 0.7, 4.0, group="immune"),
    _lab("IGG", "Immunoglobulin G (g/L)", "g/L", 12.5, 0.2, 0.05, -0.05, 0.01, 7.0, 16.0, group="immune"),
    _lab("IGM", "Immunoglobulin M (g/L)", "g/L", 1.2, 0.35, 0.0, -0.05, 0.01, 0.4, 2.3, group="immune"),
]
_SAFETY = [
    ItemSpec("ALT", "Alanine Aminotransferase (U/L)", "U/L", "adlb", "safety", 1, None, 1, 21.0, 0.35,
             noise=0.2, group="safety", anrlo=7, anrhi=40),
    ItemSpec("AST", "Aspartate Aminotransferase (U/L)", "U/L", "adlb", "safety", 1, None, 1, 22.0, 0.3,
             noise=0.18, group="safety", anrlo=10, anrhi=40),
    ItemSpec("CREAT", "Creatinine (umol/L)", "umol/L", "adlb", "safety", 10, None, 1, 78.0, 0.15, noise=0.08,
             group="safety", anrlo=59, anrhi=104, anrlo_f=45, anrhi_f=84),
    ItemSpec("WBC", "Leukocytes (10^9/L)", "10^9/L", "adlb", "safety", 0.5, None, 0.01, 6.8, 0.22, noise=0.15,
             group="safety", anrlo=3.5, anrhi=9.5),
    ItemSpec("HGB", "Hemoglobin (g/L)", "g/L", "adlb", "safety", 50, None, 1, 142.0, 0.07, noise=0.04,
             group="safety", anrlo=130, anrhi=175, anrlo_f=115, anrhi_f=150),
    ItemSpec("PLAT", "Platelets (10^9/L)", "10^9/L", "adlb", "safety", 10, None, 1, 260.0, 0.22, noise=0.1,
             group="safety", anrlo=125, anrhi=350),
]

CATALOG: dict[str, ItemSpec] = {s.paramcd: s for s in (_BASDAI + _BASFI + _GLOBAL + _PAIN + _MOBILITY + _COUNTS
                                                      + _IMAGING + _RA + _ACUTE + _CYTOKINES + _IMMUNE
                                                      + _IMMUNOGLOBULINS + _SAFETY)}
SAFETY_LABS = tuple(s.paramcd for s in _SAFETY)
BASDAI_ITEMS = tuple(s.paramcd for s in _BASDAI)
BASFI_ITEMS = tuple(s.paramcd for s in _BASFI)
BASMI_ITEMS = ("TRAGUSL", "TRAGUSR", "LATFLXL", "LATFLXR", "SCHOBER", "IMD", "CERVROTL", "CERVROTR")
RA_CORE = ("SJC28", "TJC28", "PTGAVAS", "PHGAVAS", "PAINVAS", "HAQDI", "CRP", "ESR")

_ASAS = ("PTGA", "TBPAIN", "NBPAIN", *BASFI_ITEMS, "BASDAI5", "BASDAI6")
_ASDAS_CRP = ("BASDAI2", "BASDAI3", "BASDAI6", "PTGA", "CRP")

#: Endpoint derivation -> raw PARAMCDs it is computed from.
DERIVATION_INPUTS: dict[str, tuple[str, ...]] = {
    "basdai": BASDAI_ITEMS, "basdai50": BASDAI_ITEMS, "basfi": BASFI_ITEMS,
    "asas20": _ASAS, "asas40": _ASAS, "asas50": _ASAS, "asas20st": _ASAS, "asas_partial_remission": _ASAS,
    "asas56": (*_ASAS, "CRP", "LATFLXL", "LATFLXR"),
    "asdas_crp": _ASDAS_CRP, "asdas_cii": _ASDAS_CRP, "asdas_mi": _ASDAS_CRP,
    "asdas_esr": ("BASDAI2", "BASDAI3", "BASDAI6", "PTGA", "ESR"),
    "basmi2": BASMI_ITEMS, "basmi_linear": BASMI_ITEMS, "spinal_pain": ("TBPAIN", "NBPAIN"),
    "acr20": RA_CORE, "acr50": RA_CORE, "acr70": RA_CORE, "eular_response": RA_CORE,
    "das28_crp": RA_CORE, "das28_esr": RA_CORE,
}
#: Derivations that need no raw PARAMCD of their own (safety data, or built from other endpoints).
NO_INPUTS = frozenset({"adae", "adae_dltfl", "response_duration", "response_onset"})
#: Raw PARAMCDs simulated after the subjects are chosen, outside the item model (synthetic_data.mri).
SEPARATE = frozenset({"MRITIE"})


def required_parameters(plan: Plan) -> dict[str, tuple[float, ...]]:
    """PARAMCD -> the post-baseline visits (AVISITN) at which the plan needs it (baseline always).

    Raises ValueError naming the endpoint when a derivation or raw parameter is unknown to the
    catalogue (nothing is silently left out)."""
    all_post = tuple(v.avisitn for v in plan.schedule.visits if v.avisitn != 0)
    need: dict[str, set[float]] = {}
    for ep in plan.endpoints:
        if ep.derivation in NO_INPUTS or (ep.derivation == "raw" and ep.parameter in SEPARATE):
            continue
        if ep.derivation == "raw":
            if ep.parameter not in CATALOG:
                raise ValueError(f"endpoint {ep.id}: raw parameter {ep.parameter!r} is not in the synthetic "
                                 f"data catalogue (synthetic_data/catalog.py)")
            params = (*(CATALOG[ep.parameter].ratio_of or ()), ep.parameter)
        elif ep.derivation in DERIVATION_INPUTS:
            params = DERIVATION_INPUTS[ep.derivation]
        else:
            raise ValueError(f"endpoint {ep.id}: derivation {ep.derivation!r} is unknown to the synthetic data "
                             f"generator (synthetic_data/catalog.py DERIVATION_INPUTS)")
        visits = tuple(ep.visits) or all_post
        for p in params:
            need.setdefault(p, set()).update(visits)
    # response-defining items (ASAS etc.) at every visit any response endpoint uses
    lab_params: set[str] = set(SAFETY_LABS)
    for an in plan.analyses:
        for p in getattr(an.options, "parameters", ()):
            if p not in CATALOG:
                raise ValueError(f"analysis {an.id}: parameter {p!r} is not in the synthetic data catalogue")
            lab_params.add(p)
    for p in lab_params:
        need.setdefault(p, set()).update(_routine_visits(plan))
    for p in ("CRP", "ESR"):
        if p in need:
            need[p].update(_routine_visits(plan))
    order = list(CATALOG)
    return {p: tuple(sorted(need[p])) for p in sorted(need, key=order.index)}


def _routine_visits(plan: Plan) -> set[float]:
    """Post-baseline visits without a restricted assessment list (routine safety-lab visits)."""
    return {v.avisitn for v in plan.schedule.visits if v.avisitn != 0 and not v.assessments}
