"""Exposure to study treatment, per product in its own unit: subjects treated, administrations received and
cumulative dose of each product (ADEX ``EXTRT``), administrations within a course (a window of study days the
plan names, e.g. a second MSC course), and the treatment duration per subject.

Template EXT01 (pharmaverse chevron; R: ``tern::analyze_vars`` and ``tern::count_values`` on subject-level
exposure derived from ADEX, one block per ``EXTRT``; SAS: PROC MEANS / PROC FREQ of the per-subject totals BY
EXTRT). ADEX has one record per administration (DESIGN.md data contract: USUBJID, EXSTDT, EXDOSE, EXDOSU; EXTRT
names the product when the trial gives more than one). Doses are added only within one product and one unit:
cells per kg, milligrams of etanercept and milligrams of methotrexate are different quantities, and a product
whose records carry two units is refused (:func:`product_units` raises; the data layer reports such data as a
contract error first). The summary statistics of the per-subject values are those of :mod:`analyses.descriptive`.
"""
from __future__ import annotations

from typing import Optional, Sequence

import pandas as pd

from analyses.descriptive import column_subsets
from analyses.results import tidy_frame

PRODUCT = "product"
ADMINISTRATIONS = "administrations"
DOSE_RECORDS = "dose_records"
CUMULATIVE_DOSE = "cumulative_dose"
DURATION_DAYS = "duration_days"
#: product name when ADEX has no EXTRT column (every record is the one study treatment)
STUDY_TREATMENT = "Study treatment"
#: the number of administrations is tabulated value by value only up to this many per subject; a product given
#: more often (e.g. weekly injections for a year) is described by its mean, median and range alone
COUNT_ROWS_MAX = 20


def _ordered(names) -> list[str]:
    """Product names in name order (case-insensitive, then exact)."""
    return sorted((str(n) for n in names), key=lambda s: (s.casefold(), s))


def _product_series(adex: pd.DataFrame, product: Optional[str]) -> pd.Series:
    if product is None or product not in adex.columns:
        return pd.Series(STUDY_TREATMENT, index=adex.index, dtype=object)
    return adex[product].astype("string").str.strip().astype(object)


def _units(adex: pd.DataFrame, unit: Optional[str]) -> pd.Series:
    if unit is None or unit not in adex.columns:
        return pd.Series(pd.NA, index=adex.index, dtype="string")
    text = adex[unit].astype("string").str.strip()
    return text.mask(text == "")


def product_units(adex: pd.DataFrame, *, product: Optional[str] = "EXTRT",
                  unit: Optional[str] = "EXDOSU") -> dict[str, str]:
    """Product -> its dose unit ("" when no record of the product gives one), products in name order.

    Raises ValueError when one product's records carry more than one unit: such doses cannot be added."""
    prods, units = _product_series(adex, product), _units(adex, unit)
    out: dict[str, str] = {}
    for name in _ordered(prods.dropna().unique()):
        seen = list(dict.fromkeys(units[prods == name].dropna()))
        if len(seen) > 1:
            raise ValueError(f"product {name!r} has doses in more than one unit ({', '.join(seen)})")
        out[name] = seen[0] if seen else ""
    return out


def derive_product_exposure(subjects: pd.DataFrame, adex: pd.DataFrame, *, subject: str = "USUBJID",
                            product: Optional[str] = "EXTRT", dose: Optional[str] = "EXDOSE") -> pd.DataFrame:
    """One row per subject of ``subjects`` and product of ``adex`` (every pair, so a subject never given a product
    has 0 administrations of it): ``product``, ``administrations`` (records), ``dose_records`` (records with a
    dose) and ``cumulative_dose`` (the sum of the doses, in the product's unit).

    The cumulative dose is known only when every administration of the subject carries a dose: it is missing for a
    subject not given the product, and when any of the subject's doses was not recorded (a dose that was never
    recorded is neither 0 nor ignorable; R: ``if (anyNA(EXDOSE)) NA else sum(EXDOSE)``, SAS: SUM with NMISS = 0).
    ADEX records of subjects outside ``subjects`` are not used."""
    prods = _product_series(adex, product)
    values = (pd.to_numeric(adex[dose], errors="coerce") if dose is not None and dose in adex.columns
              else pd.Series(float("nan"), index=adex.index))
    rec = pd.DataFrame({subject: adex[subject].to_numpy(), PRODUCT: prods.to_numpy(), "_dose": values.to_numpy()})
    rec = rec[rec[subject].isin(set(subjects[subject])) & rec[PRODUCT].notna()]
    per = rec.groupby([subject, PRODUCT]).agg(**{ADMINISTRATIONS: ("_dose", "size"),
                                                  DOSE_RECORDS: ("_dose", "count"),
                                                  "_sum": ("_dose", "sum")})
    frames = []
    for name in _ordered(rec[PRODUCT].unique()):
        part = subjects.assign(**{PRODUCT: name})
        got = per.xs(name, level=PRODUCT) if name in per.index.get_level_values(PRODUCT) else per.iloc[0:0]
        ids = part[subject]
        n_adm = ids.map(got[ADMINISTRATIONS]).fillna(0).astype(int).to_numpy()
        n_dose = ids.map(got[DOSE_RECORDS]).fillna(0).astype(int).to_numpy()
        total = ids.map(got["_sum"]).astype(float).to_numpy()
        complete = (n_adm > 0) & (n_dose == n_adm)
        frames.append(part.assign(**{ADMINISTRATIONS: n_adm, DOSE_RECORDS: n_dose,
                                     CUMULATIVE_DOSE: pd.Series(total).where(complete).to_numpy()}))
    if not frames:
        return subjects.iloc[0:0].assign(**{PRODUCT: [], ADMINISTRATIONS: [], DOSE_RECORDS: [], CUMULATIVE_DOSE: []})
    return pd.concat(frames, ignore_index=True)


def derive_study_day(subjects: pd.DataFrame, adex: pd.DataFrame, *, subject: str = "USUBJID", day: str = "EXSTDY",
                     date: str = "EXSTDT", start: str = "TRTSDT") -> Optional[pd.Series]:
    """Study day of each ADEX record (day 1 = first dose, no day 0): ``day`` when ADEX has it, else ``date`` minus
    the subject's ``start`` + 1 (on or after the start; the day before is -1; ADaM ASTDY). None when neither is
    available."""
    if day in adex.columns:
        return pd.to_numeric(adex[day], errors="coerce")
    if date not in adex.columns or start not in subjects.columns:
        return None
    first = pd.to_datetime(adex[subject].map(subjects.set_index(subject)[start]))
    diff = (pd.to_datetime(adex[date]) - first).dt.days
    return (diff + (diff >= 0)).astype(float)


def count_course_administrations(subjects: pd.DataFrame, adex: pd.DataFrame, study_day: pd.Series, *, product: str,
                                 days: tuple[int, int], subject: str = "USUBJID",
                                 product_column: Optional[str] = "EXTRT") -> pd.DataFrame:
    """``subjects`` with ``administrations`` = the subject's ADEX records of ``product`` with a study day in
    ``days`` (first, last; inclusive), 0 without one; ``parameter`` = the product (for
    :func:`summarize_administration_counts`)."""
    prods = _product_series(adex, product_column)
    inside = (prods == product) & study_day.between(days[0], days[1])
    counts = adex.loc[inside.fillna(False).to_numpy(dtype=bool), subject].value_counts()
    return subjects.assign(**{PRODUCT: product,
                              ADMINISTRATIONS: subjects[subject].map(counts).fillna(0).astype(int).to_numpy()})


def derive_treatment_duration(subjects: pd.DataFrame, *, start: str = "TRTSDT", end: str = "TRTEDT") -> pd.DataFrame:
    """``subjects`` with ``duration_days`` = end - start + 1 (days, first to last dose inclusive); missing when
    either date is missing (ADaM TRTDURD)."""
    days = (pd.to_datetime(subjects[end]) - pd.to_datetime(subjects[start])).dt.days + 1
    return subjects.assign(**{DURATION_DAYS: days.astype(float)})


def summarize_administration_counts(frame: pd.DataFrame, groups: Sequence[str], *, product: str,
                                    group: str = "group", total: Optional[str] = None,
                                    max_rows: int = COUNT_ROWS_MAX, prefix: str = "") -> pd.DataFrame:
    """Count rows of one product (``frame``: its rows of :func:`derive_product_exposure`), ``n`` = column N:
    ``label`` "treated" (subjects with at least one administration), then "administrations=k" for k = 1 .. the
    largest number in any column when that is at most ``max_rows`` (every k in every column, 0 where none); each
    label after ``prefix`` (e.g. "course 2: "). ``parameter`` is the product."""
    cols = column_subsets(frame, groups, group=group, total=total)
    rows = [dict(group=name, statistic="count", estimate=int((sub[ADMINISTRATIONS] > 0).sum()), n=len(sub),
                 label=f"{prefix}treated", parameter=product) for name, sub in cols]
    max_n = int(max((sub[ADMINISTRATIONS].max() for _, sub in cols if len(sub)), default=0))
    if max_n <= max_rows:
        rows += [dict(group=name, statistic="count", estimate=int((sub[ADMINISTRATIONS] == k).sum()), n=len(sub),
                      label=f"{prefix}administrations={k}", parameter=product)
                 for k in range(1, max_n + 1) for name, sub in cols]
    return tidy_frame(rows)
