"""ADEX dose units: the rules that let an exposure summary add doses only within one product and one unit.

A dose (EXDOSE) means nothing without its unit (EXDOSU), and the doses of one product (EXTRT; the whole file when
there is no EXTRT) are added up, so they must share one unit. :func:`find_exposure_unit_rules` returns the rows
that break these rules as ``(column, rule, mask, what, show, summary)``; :func:`sap.data.contract.
find_contract_problems` turns each into a :class:`~sap.data.errors.Problem` naming dataset, column and rows (SAS:
PROC FREQ of EXTRT * EXDOSU; R: ``dplyr::count(adex, EXTRT, EXDOSU)``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PRODUCT, DOSE, UNIT = "EXTRT", "EXDOSE", "EXDOSU"


def _text(series: pd.Series) -> pd.Series:
    """Stripped text with blanks as missing."""
    out = series.astype("string").str.strip()
    return out.mask(out == "")


def find_exposure_unit_rules(adex: pd.DataFrame) -> list[tuple]:
    """Rule breaks of ``adex``: a dose without a unit; a record without a product name (when EXTRT is a column);
    one product with doses in more than one unit (the rows whose unit is not the product's most frequent one,
    ties to the unit met first)."""
    hits = []
    units = _text(adex[UNIT]) if UNIT in adex.columns else pd.Series(pd.NA, index=adex.index, dtype="string")
    if DOSE in adex.columns and UNIT in adex.columns:
        dosed = pd.to_numeric(adex[DOSE], errors="coerce").notna()
        bad = (dosed & units.isna()).to_numpy(dtype=bool)
        hits.append((UNIT, "dose_without_unit", bad, "EXDOSE is given but EXDOSU is missing (a dose needs its unit)",
                     (PRODUCT, DOSE), "missing where EXDOSE is given"))
    if PRODUCT in adex.columns:
        products = _text(adex[PRODUCT])
        hits.append((PRODUCT, "product_missing", products.isna().to_numpy(dtype=bool),
                     "the product name is missing (doses are summarised per product)", (DOSE, UNIT), "missing"))
    else:
        products = pd.Series("", index=adex.index, dtype="string")
    for name in dict.fromkeys(products.dropna()):
        of_product = (products == name).fillna(False).to_numpy(dtype=bool)
        counts = units[of_product].value_counts(sort=False)
        if len(counts) < 2:
            continue
        main = counts.index[int(np.argmax(counts.to_numpy()))]
        seen = ", ".join(f"{u} on {k} row{'s' if k > 1 else ''}" for u, k in counts.items())
        who = f"product {name!r}" if PRODUCT in adex.columns else "the study treatment (no EXTRT)"
        bad = of_product & units.notna().to_numpy(dtype=bool) & (units != main).fillna(False).to_numpy(dtype=bool)
        hits.append((UNIT, "mixed_units", bad, f"{who} has doses in {len(counts)} units ({seen}); the doses of one "
                     f"product must share one unit, rows not in {main}", (PRODUCT, DOSE, UNIT), "mixed units"))
    return [h for h in hits if np.asarray(h[2]).any()]
