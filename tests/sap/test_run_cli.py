"""``python -m sap.run``: exit codes, one-line errors, and a failed run leaves --out untouched."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sap.run import main, parse_data_argument

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sap.run", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=600)


def test_list_plans():
    proc = _run("--list-plans")
    assert proc.returncode == 0, proc.stderr
    for pid in ("cg-bm1", "ucmsc-as", "msc-etanercept", "ucmsc-ra", "wang2013"):
        assert pid in proc.stdout


def test_unknown_plan_is_a_one_line_error_with_exit_2(tmp_path):
    proc = _run("--plan", "nope", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_bad_format_and_missing_data_folder(tmp_path):
    assert main(["--format", "docx", "--out", str(tmp_path / "o")]) == 2
    proc = _run("--data", str(tmp_path / "missing"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")


def _bad_adsl_folder(folder: Path) -> Path:
    folder.mkdir()
    adsl = pd.DataFrame({
        "STUDYID": ["X"] * 3, "USUBJID": ["S1", "S1", "S2"], "AGE": [30, 31, -4], "SEX": ["M", "F", "Q"],
        "TRT01P": ["Placebo"] * 3, "TRT01PN": [0, 0, 0], "TRT01A": ["Placebo"] * 3, "SAFFL": ["Y"] * 3,
        "FASFL": ["Y"] * 3, "PHASE": ["Phase 2"] * 3,
    })
    adsl.to_csv(folder / "adsl.csv", index=False)
    return folder


def test_failed_run_leaves_out_untouched(tmp_path):
    data = _bad_adsl_folder(tmp_path / "data")
    out = tmp_path / "out"
    out.mkdir()
    marker = out / "previous.txt"
    marker.write_text("results of an earlier run", encoding="utf-8")
    proc = _run("--plan", "cg-bm1", "--data", str(data), "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    # several problems reported together, naming dataset, column and rows
    assert "adsl.USUBJID" in proc.stderr and "adsl.AGE" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["previous.txt"]
    assert marker.read_text(encoding="utf-8") == "results of an earlier run"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_data_argument_forms(tmp_path):
    assert parse_data_argument(str(tmp_path)) == tmp_path
    assert parse_data_argument("a.xpt,b.csv") == [Path("a.xpt"), Path("b.csv")]
    assert parse_data_argument("adsl=x/adsl.xpt, adae = y/adae.xpt") == {"adsl": Path("x/adsl.xpt"),
                                                                        "adae": Path("y/adae.xpt")}
    with pytest.raises(ValueError):
        parse_data_argument("adsl=x.xpt,b.csv")
