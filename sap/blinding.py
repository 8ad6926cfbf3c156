"""Blinded data review: detect masked treatment, check that the masking is complete, unblind.

A blinded review receives data whose treatment is masked (``TRT01P = "BLINDED"``) for every subject of a
phase whose ``blinding`` is not open-label. The run then pools those subjects into one group
(:func:`sap.context.assign_arms`). A half-masked data set would leak: one subject left with
``TRT01P = "Placebo"`` would appear as a ``Placebo (N=1)`` column beside the pooled group. So
:func:`check_masking_complete` refuses, before anything is derived, data where a subject of a blinded phase
keeps an assignment in ADSL (TRT01P, TRT01A, TRT01PN, TRT01AN, DOSE) or in ADEX (EXTRT, EXDOSE). Unblinding
takes only the explicit ``--randomization`` file (:func:`unblind`); a randomization file inside ``--data`` is
never read as a dataset (:data:`sap.data.readers.NOT_DATASETS`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sap.context import is_masked
from sap.data.errors import DataContractError, Problem
from sap.errors import UserInputError
from sap.spec import Plan
from sap.data import read_dataset

#: ADSL columns that carry a blinded subject's assignment besides the treatment variable:
#: text columns must be masked or empty, numeric ones missing.
ADSL_ASSIGNMENT_COLUMNS: tuple[str, ...] = ("TRT01A", "TRT01PN", "TRT01AN", "DOSE")
#: ADEX columns that reveal the assignment (placebo shows as dose 0).
ADEX_ASSIGNMENT_COLUMNS: tuple[str, ...] = ("EXTRT", "EXDOSE")


def _empty(series: pd.Series) -> pd.Series:
    return (series.isna() | (series.astype("string").str.strip() == "")).fillna(True).astype(bool)


def is_blinded(plan: Plan, adsl: pd.DataFrame) -> bool:
    """True when any subject's treatment variable is masked."""
    trt = plan.design.treatment_variable
    return trt in adsl.columns and bool(is_masked(adsl[trt]).any())


def blinded_phase_subjects(plan: Plan, adsl: pd.DataFrame) -> pd.Series:
    """Boolean mask of ADSL rows in a phase whose blinding is not open-label.

    A subject is in a blinded phase when the trial has one phase and it is blinded, when its ADSL ``PHASE``
    value (blanks and case ignored) is a blinded phase's ``data_value``, or when its treatment value is an arm
    of a blinded phase.
    """
    trt = plan.design.treatment_variable
    phases = plan.design.phases
    blind_ids = {p.id for p in phases if p.blinding != "open-label"}
    if len(phases) == 1:
        return pd.Series(bool(blind_ids), index=adsl.index)
    in_phase = pd.Series(False, index=adsl.index)
    if "PHASE" in adsl.columns:
        values = {p.data_value.strip().upper() for p in phases if p.id in blind_ids and p.data_value}
        in_phase |= adsl["PHASE"].astype("string").str.strip().str.upper().isin(values).fillna(False)
    arm_values = {a.data_value.strip() for a in plan.design.arms if a.phase in blind_ids}
    in_phase |= adsl[trt].astype("string").str.strip().isin(arm_values).fillna(False)
    return in_phase.astype(bool)


def _problem(dataset: str, column: str, rows: np.ndarray, subjects, what: str) -> Problem:
    rows = tuple(int(r) for r in rows)
    shown = ", ".join(map(str, rows[:5])) + (f", ... {len(rows)} rows" if len(rows) > 5 else "")
    return Problem(dataset=dataset, column=column, rule="unmasked_in_blinded_phase", rows=rows,
                   subjects=tuple(subjects), summary="unmasked in a blinded phase",
                   message=f"{dataset}.{column}: {what} in a blinded review (rows {shown}; subjects "
                           f"{', '.join(map(str, list(subjects)[:5]))}); mask every subject of the blinded "
                           f"phase, or unblind with --randomization")


def check_masking_complete(plan: Plan, datasets: dict[str, pd.DataFrame]) -> None:
    """Raise :class:`DataContractError` naming every unmasked assignment of a blinded-phase subject.

    Called only when the data are blinded (:func:`is_blinded`) and no randomization file is given.
    Rows are 1-based record numbers as in the file.
    """
    adsl = datasets["adsl"]
    trt, subj = plan.design.treatment_variable, plan.data.subject_variable
    in_blind = blinded_phase_subjects(plan, adsl).to_numpy()
    masked = is_masked(adsl[trt]).to_numpy()
    problems = []
    leak = in_blind & ~masked & ~_empty(adsl[trt]).to_numpy()
    if leak.any():
        problems.append(_problem("adsl", trt, np.flatnonzero(leak) + 1, adsl.loc[leak, subj],
                                 "treatment is not masked for subjects of a blinded phase"))
    for col in ADSL_ASSIGNMENT_COLUMNS:
        if col in adsl.columns:
            ok = is_masked(adsl[col]) | _empty(adsl[col])
            bad = masked & ~ok.to_numpy()
            if bad.any():
                problems.append(_problem("adsl", col, np.flatnonzero(bad) + 1, adsl.loc[bad, subj],
                                         f"masked subjects still carry {col}"))
    blinded_ids = set(adsl.loc[masked | in_blind, subj])
    adex = datasets.get("adex")
    if adex is not None and subj in adex.columns:
        of_blinded = adex[subj].isin(blinded_ids).to_numpy()
        for col in ADEX_ASSIGNMENT_COLUMNS:
            if col in adex.columns:
                bad = of_blinded & ~(is_masked(adex[col]) | _empty(adex[col])).to_numpy()
                if bad.any():
                    problems.append(_problem("adex", col, np.flatnonzero(bad) + 1, adex.loc[bad, subj],
                                             f"exposure records of blinded subjects carry {col}"))
    if problems:
        raise DataContractError(problems)


def unblind(plan: Plan, adsl: pd.DataFrame, randomization: Path) -> pd.DataFrame:
    """Replace the masked treatment with the randomization file's assignment (USUBJID, treatment variable).

    An unmasked subject whose treatment disagrees with the randomization file is an error.
    """

    if not randomization.is_file():
        raise UserInputError(f"--randomization {randomization}: no such file")
    rand = read_dataset(randomization)
    trt = plan.design.treatment_variable
    subj = plan.data.subject_variable
    for col in (subj, trt):
        if col not in rand.columns:
            raise UserInputError(f"{randomization.name}: column {col} is absent")
    dup = rand[subj].duplicated()
    if dup.any():
        raise UserInputError(f"{randomization.name}.{subj}: duplicated subjects {sorted(rand.loc[dup, subj])[:5]}")
    out = adsl.copy()
    masked = is_masked(out[trt])
    mapping = rand.set_index(subj)[trt]
    missing = out.loc[masked, subj][~out.loc[masked, subj].isin(mapping.index)]
    if len(missing):
        raise UserInputError(f"{randomization.name}: no assignment for blinded subjects {sorted(missing)[:5]}")
    open_ = ~masked & out[subj].isin(mapping.index) & ~_empty(out[trt])
    clash = open_ & (out[trt].astype("string").str.strip()
                     != out[subj].map(mapping).astype("string").str.strip()).fillna(True)
    if clash.any():
        rows = ", ".join(map(str, (np.flatnonzero(clash.to_numpy()) + 1)[:5]))
        raise UserInputError(f"adsl.{trt}: disagrees with {randomization.name} for subjects "
                             f"{sorted(out.loc[clash, subj])[:5]} (rows {rows})")
    out.loc[masked, trt] = out.loc[masked, subj].map(mapping).to_numpy()
    if "TRT01A" in out.columns:
        amask = is_masked(out["TRT01A"])
        out.loc[amask, "TRT01A"] = out.loc[amask, subj].map(mapping).to_numpy()
    if trt + "N" in rand.columns and trt + "N" in out.columns:
        out.loc[masked, trt + "N"] = out.loc[masked, subj].map(rand.set_index(subj)[trt + "N"]).to_numpy()
    return out
