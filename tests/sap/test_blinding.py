"""Blinded review: a half-masked data set is refused, a randomization list in --data is never read.

Issue 12, finding 4: a blinded cg-bm1 data set where one subject's TRT01P was "Placebo" ran with a
"BLINDED - pooled" banner and printed a ``Placebo (N=1)`` column. The expectations below are by construction
of the inputs (which rows were left unmasked), not computed by the package.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sap.blinding import blinded_phase_subjects, check_masking_complete, is_blinded
from sap.data.errors import DataContractError
from sap.run import main
from sap.spec import load_plan

FROZEN = Path(__file__).resolve().parents[2] / "synthetic_data" / "frozen"
BLINDED = FROZEN / "cg-bm1-blinded"


def _copy_blinded(tmp_path: Path, *, with_randomization: bool = True) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(BLINDED, dest)
    if not with_randomization:
        (dest / "randomization.csv").unlink()
    return dest


def _unmask_one(folder: Path) -> tuple[int, str]:
    """Give the first masked subject its real assignment back; return its 1-based row and id."""
    adsl = pd.read_csv(folder / "adsl.csv", dtype=str, keep_default_na=False)
    rand = pd.read_csv(BLINDED / "randomization.csv", dtype=str, keep_default_na=False)
    i = int((adsl["TRT01P"] == "BLINDED").to_numpy().nonzero()[0][0])
    subject = adsl.loc[i, "USUBJID"]
    adsl.loc[i, "TRT01P"] = rand.set_index("USUBJID").loc[subject, "TRT01P"]
    adsl.to_csv(folder / "adsl.csv", index=False)
    return i + 1, subject


def test_half_masked_data_exit_2_naming_the_row(tmp_path, capsys):
    data = _copy_blinded(tmp_path, with_randomization=False)
    row, subject = _unmask_one(data)
    out = tmp_path / "out"
    code = main(["--plan", "cg-bm1", "--data", str(data), "--out", str(out), "--format", "html"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error:")
    assert "adsl.TRT01P" in err[0] and f"row {row}" in err[0]
    assert not out.exists()


def test_check_names_every_unmasked_column():
    plan = load_plan("cg-bm1")
    adsl = pd.DataFrame({
        "USUBJID": ["S1", "S2", "S3", "S4"],
        "PHASE": ["Phase 1", "Phase 2", "Phase 2", "Phase 2"],
        "TRT01P": [plan.design.arms[0].data_value, "BLINDED", "Placebo", "BLINDED"],
        "TRT01PN": [1.0, None, 0.0, 2.0],
    })
    assert is_blinded(plan, adsl)
    assert blinded_phase_subjects(plan, adsl).tolist() == [False, True, True, True]
    with pytest.raises(DataContractError) as info:
        check_masking_complete(plan, {"adsl": adsl})
    where = {(p.where, p.rows) for p in info.value.problems}
    # S3 keeps "Placebo" (row 3); S4 is masked in TRT01P but keeps TRT01PN (row 4). S1 is open-label Phase 1.
    assert where == {("adsl.TRT01P", (3,)), ("adsl.TRT01PN", (4,))}


def test_masked_exposure_dose_is_a_leak():
    plan = load_plan("cg-bm1")
    adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "PHASE": ["Phase 2", "Phase 2"], "TRT01P": ["BLINDED"] * 2})
    adex = pd.DataFrame({"USUBJID": ["S1", "S2", "S2"], "EXTRT": ["BLINDED", "BLINDED", "PLACEBO"],
                         "EXDOSE": [None, 0.0, None]})
    with pytest.raises(DataContractError) as info:
        check_masking_complete(plan, {"adsl": adsl, "adex": adex})
    assert {(p.where, p.rows) for p in info.value.problems} == {("adex.EXTRT", (3,)), ("adex.EXDOSE", (2,))}


def test_fully_masked_frozen_data_pass():
    from sap.data import read_data_folder

    loaded = read_data_folder(BLINDED)
    check_masking_complete(load_plan("cg-bm1"), loaded.datasets)  # no exception


def test_randomization_in_data_folder_is_not_read(tmp_path):
    from sap.data import read_data_folder

    loaded = read_data_folder(BLINDED)
    assert "randomization" not in loaded.datasets and "randomization.csv" in loaded.ignored
    out = tmp_path / "out"
    assert main(["--plan", "cg-bm1", "--data", str(BLINDED), "--out", str(out), "--format", "html"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert "randomization" not in {i["name"] for i in manifest["inputs"]}
    assert "randomization.csv in the data folder was not read" in (out / "report.html").read_text()
    results = json.loads((out / "results.json").read_text())["results"]
    groups = {r["group"] for r in results if r.get("group")} - {None}
    assert "Placebo" not in " ".join(map(str, groups))


def test_randomization_given_as_dataset_is_refused(tmp_path, capsys):
    code = main(["--plan", "cg-bm1", "--data",
                 f"adsl={BLINDED / 'adsl.csv'},randomization={BLINDED / 'randomization.csv'}",
                 "--out", str(tmp_path / "out"), "--format", "html"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--randomization" in err[0]


def test_unmasked_subject_disagreeing_with_randomization(tmp_path, capsys):
    data = _copy_blinded(tmp_path, with_randomization=False)
    adsl = pd.read_csv(data / "adsl.csv", dtype=str, keep_default_na=False)
    rand = pd.read_csv(BLINDED / "randomization.csv", dtype=str, keep_default_na=False).set_index("USUBJID")
    i = int((adsl["TRT01P"] == "BLINDED").to_numpy().nonzero()[0][0])
    truth = rand.loc[adsl.loc[i, "USUBJID"], "TRT01P"]
    other = next(v for v in rand["TRT01P"].unique() if v != truth)
    adsl.loc[i, "TRT01P"] = other
    adsl.to_csv(data / "adsl.csv", index=False)
    code = main(["--plan", "cg-bm1", "--data", str(data), "--randomization", str(BLINDED / "randomization.csv"),
                 "--out", str(tmp_path / "out"), "--format", "html"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "disagrees with randomization.csv" in err[0] and f"rows {i + 1}" in err[0]
