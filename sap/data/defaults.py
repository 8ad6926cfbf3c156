"""The DESIGN.md data contract as default :class:`DataRequirements`, for the runner to extend.

Ranges are the instruments' scales: BASDAI items (Garrett 1994), BASFI items (Calin 1994) and
patient/physician global 0-10; pain VAS 0-100 mm; 44/28-joint counts; mSASSS 0-72 (Creemers
2005); ASspiMRI-a 0-138 (Braun 2003); HAQ-DI 0-3 (Fries 1980); CTCAE grade 1-5. BASMI
components (tragus-to-wall, lateral flexion, Schober, intermalleolar distance in cm; cervical
rotation in degrees) only have physical bounds (>= 0; rotation <= 180).
"""
from __future__ import annotations

from typing import Iterable

from .requirements import AllowedValues, ColumnSpec, DataRequirements, UniqueKey, ValueRange

N, C, D, A = "numeric", "character", "date", "any"

_ADSL = [("STUDYID", C, True), ("USUBJID", C, True), ("AGE", N, True), ("SEX", C, True),
         ("TRT01P", C, True), ("TRT01PN", N, True), ("TRT01A", C, True), ("SAFFL", C, True),
         ("PHASE", A, False), ("COHORT", A, False), ("DOSE", N, False), ("DLTEVLFL", C, False),
         ("RANDFL", C, False), ("PPROTFL", C, False), ("STRAT1", A, False), ("TRTSDT", D, False),
         ("TRTEDT", D, False), ("EOSSTT", C, False), ("DCSREAS", C, False), ("RESCDT", D, False),
         ("HLAB27", A, False), ("TRT01AN", N, False)]
_BDS = [("USUBJID", C, True), ("PARAMCD", C, True), ("AVAL", N, True), ("AVISIT", C, True),
        ("AVISITN", N, True), ("ADY", N, False), ("ADT", D, False), ("BASE", N, False),
        ("CHG", N, False), ("ABLFL", C, False), ("ANL01FL", C, False), ("DTYPE", C, False)]
_ADAE = [("USUBJID", C, True), ("AEDECOD", C, True), ("AEBODSYS", C, True), ("ASTDT", D, True),
         ("ASTDY", N, True), ("AESER", C, True), ("AETOXGR", A, True), ("AEREL", C, True),
         ("TRTEMFL", C, True), ("DLTFL", C, True), ("AETERM", C, True)]
_ADEX = [("USUBJID", C, True), ("EXSTDT", D, True), ("EXDOSE", N, True), ("EXDOSU", C, True)]

#: (PARAMCD, lo, hi, integer) for ADQS AVAL.
AS_RANGES: tuple[tuple[str, float, float | None, bool], ...] = (
    *((f"BASDAI{i}", 0, 10, False) for i in range(1, 7)),
    *((f"BASFI{i}", 0, 10, False) for i in range(1, 11)),
    ("PTGA", 0, 10, False), ("PHGA", 0, 10, False),
    ("TBPAIN", 0, 100, False), ("NBPAIN", 0, 100, False),
    ("TRAGUSL", 0, None, False), ("TRAGUSR", 0, None, False),
    ("LATFLXL", 0, None, False), ("LATFLXR", 0, None, False),
    ("SCHOBER", 0, None, False), ("IMD", 0, None, False),
    ("CERVROTL", 0, 180, False), ("CERVROTR", 0, 180, False),
    ("SJC44", 0, 44, True), ("TJC44", 0, 44, True),
    ("MSASSS", 0, 72, False), ("ASSPIMRI", 0, 138, False),
    ("MRITIE", 0, None, False),  # MRI total inflammation extent (Wang 2013): an extent, >= 0; no published scale
)
RA_RANGES: tuple[tuple[str, float, float | None, bool], ...] = (
    ("SJC28", 0, 28, True), ("TJC28", 0, 28, True),
    ("PTGAVAS", 0, 100, False), ("PHGAVAS", 0, 100, False), ("PAINVAS", 0, 100, False),
    ("HAQDI", 0, 3, False),
)
#: ADLB parameters that are concentrations or rates, with a plausible maximum: AVAL from 0 (a physical bound) to
#: CRP 1000 mg/L (values above 500 mg/L are exceptional in sepsis) and ESR 200 mm/h (the Westergren tube's scale).
LAB_CONCENTRATIONS = {"CRP": 1000.0, "ESR": 200.0}
#: plausible age in years (0 < AGE <= 120); a plan overrides any of these ranges with ``data.ranges``
AGE_MAX = 120.0
YES_NO_FLAGS = ("SAFFL", "FASFL", "ITTFL", "RANDFL", "PPROTFL", "DLTEVLFL", "AESER", "DLTFL", "TRTEMFL")
SEX_VALUES = ("M", "F", "U", "UNDIFFERENTIATED")  # CDISC CT codelist SEX (C66731)


def _specs(dataset: str, table) -> list[ColumnSpec]:
    return [ColumnSpec(dataset, name, kind, required) for name, kind, required in table]


def default_requirements_for_contract(required_datasets: Iterable[str] = ("adsl",)) -> DataRequirements:
    """DESIGN.md contract: ADSL/ADQS/ADLB/ADAE/ADEX columns and kinds, AS and RA ranges for
    ADQS AVAL, CRP 0-1000 mg/L and ESR 0-200 mm/h in ADLB, AETOXGR 1-5, 0 < AGE <= 120, Y/N flags, SEX codelist, one ADSL
    row per USUBJID, one ANL01FL record per USUBJID/PARAMCD/AVISITN(/DTYPE) in ADQS and ADLB,
    every USUBJID known to ADSL. Specs of a dataset apply only when it is loaded; ``required_datasets`` must be.
    Visit schedules are plan-specific and not included."""
    columns = _specs("adsl", _ADSL) + [ColumnSpec("adsl", "FASFL", C, True, ("ITTFL",))]
    columns += _specs("adqs", _BDS) + _specs("adlb", _BDS) + _specs("adae", _ADAE) + _specs("adex", _ADEX)
    ranges = [ValueRange("adqs", "AVAL", p, lo, hi, integer=integer) for p, lo, hi, integer in AS_RANGES + RA_RANGES]
    ranges += [ValueRange("adae", "AETOXGR", None, 1, 5, integer=True),
               ValueRange("adsl", "AGE", None, 0, AGE_MAX, lo_inclusive=False),
               ValueRange("adsl", "DOSE", None, 0, None),
               ValueRange("adex", "EXDOSE", None, 0, None)]
    ranges += [ValueRange("adlb", "AVAL", p, 0, LAB_CONCENTRATIONS[p]) for p in LAB_CONCENTRATIONS]
    allowed = [AllowedValues(flag, ("Y", "N")) for flag in YES_NO_FLAGS]
    allowed += [AllowedValues("ANL01FL", ("Y",)), AllowedValues("ABLFL", ("Y",)),
                AllowedValues("SEX", SEX_VALUES, "adsl", allow_missing=False)]
    bds_key = dict(columns=("USUBJID", "PARAMCD", "AVISITN"), when_present=("DTYPE",), within_flag="ANL01FL")
    keys = [UniqueKey("adsl", ("USUBJID",)), UniqueKey("adqs", **bds_key), UniqueKey("adlb", **bds_key)]
    return DataRequirements(required_datasets=tuple(required_datasets), columns=tuple(columns),
                            ranges=tuple(ranges), allowed=tuple(allowed), unique_keys=tuple(keys))
