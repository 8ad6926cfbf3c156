"""Property (issue 15, "Data the package did not make"): on any data set that follows DESIGN.md's contract, and on
one with a single deliberate breach of it, a cg-bm1 run either succeeds with complete accounting or exits 2 with
an ``error:`` line naming the dataset and column (the breached ones, for a breach). It never exits 1.

Complete accounting of a success: one result per plan analysis with the results columns; every not-estimable
result gives its reason; the group N of each produced result adds up to the subjects of its population and phase
as the generated data say; the disposition columns add up to all subjects; accounting.csv counts every subject and
every record of every dataset as generated; the derivation log counts every ADQS/ADLB record with counts in = out
where nothing may be dropped; results.json can be written (no NaN, no objects).

The data come from :mod:`independent_data.strategies` (written from DESIGN.md, not from ``synthetic_data``).
Example counts per profile: :mod:`independent_data.profiles` (``ci``: 300 in-process, derandomised).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import event, given

from independent_data.messy import ANALYSIS_STAGE
from independent_data.outcomes import (check_accounting, check_error_line, fast_plan, fast_plan_file,
                                       run_in_process)
from independent_data.profiles import examples, property_settings
from independent_data.strategies import TrialData, trial_data

REPO_ROOT = Path(__file__).resolve().parents[2]


def judge(data: TrialData, outcome) -> list[str]:
    """Problems of one run's outcome (empty: the property holds)."""
    for label in data.labels():
        event(label)
    event(f"outcome: {outcome.kind}")
    if outcome.kind == "exit 2":
        return check_error_line(outcome.message, data.expected_error, data.variation.breach not in ANALYSIS_STAGE)
    if data.expected_error is not None:
        return [f"breach {data.variation.breach} ({'.'.join(data.expected_error)}) was not refused"]
    return check_accounting(fast_plan(), data, outcome.bundle)


@property_settings("in_process")
@given(data=trial_data())
def test_every_run_succeeds_or_names_dataset_and_column(data: TrialData):
    with tempfile.TemporaryDirectory(prefix="sap-independent-") as tmp:
        outcome = run_in_process(fast_plan(), data.write(Path(tmp) / "data"))
    problems = judge(data, outcome)
    assert not problems, "\n".join(problems)


def run_cli(plan, data_dir: Path, out_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sap.run", "--plan", str(plan), "--data", str(data_dir),
                           "--out", str(out_dir), "--format", "html"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=900)


def check_command_line(data: TrialData, plan: str | None) -> None:
    """``python -m sap.run`` on ``data`` (with the fast plan file, or the plan id ``plan``) exits 0 with the
    outputs, or 2 with one ``error:`` line naming dataset and column and nothing written; never 1."""
    with tempfile.TemporaryDirectory(prefix="sap-independent-cli-") as tmp:
        tmp = Path(tmp)
        proc = run_cli(plan or fast_plan_file(tmp), data.write(tmp / "data"), tmp / "out")
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        event(f"exit {proc.returncode}")
        assert proc.returncode in (0, 2), proc.stderr[-4000:]
        assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
        if proc.returncode == 2:
            assert len(errors) == 1, proc.stderr
            problems = check_error_line(errors[0][len("error:"):].strip(), data.expected_error,
                                        data.variation.breach not in ANALYSIS_STAGE)
            assert not problems, "\n".join(problems)
            assert not (tmp / "out").exists() or not any((tmp / "out").iterdir()), "output written on exit 2"
        else:
            assert not errors, proc.stderr
            assert data.expected_error is None, f"breach {data.variation.breach} was not refused"
            for name in ("report.html", "results.json", "manifest.json", "accounting.csv"):
                assert (tmp / "out" / name).is_file(), name


@pytest.mark.slow
@property_settings("cli")
@given(data=trial_data())
def test_command_line_exits_0_or_2_with_one_error_line(data: TrialData):
    check_command_line(data, None)


@pytest.mark.slow
@pytest.mark.skipif(examples("cli_shipped") == 0, reason="profile dev: the shipped plan's MMRMs take minutes")
@property_settings("cli_shipped")
@given(data=trial_data())
def test_command_line_with_the_plan_as_shipped(data: TrialData):
    check_command_line(data, "cg-bm1")
