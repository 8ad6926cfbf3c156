"""Plan filter expressions (``analyses[].data.where``) cannot run code; the safe language selects the same rows.

The exploit below ran a shell command when ``where`` was handed to ``DataFrame.query`` (pandas resolves
``@name`` in the caller's namespace). Now the plan is refused on load and nothing runs.
"""
from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sap.adapters._common import selected_records
from sap.errors import UserInputError
from sap.expressions import FilterColumnError, FilterSyntaxError, evaluate_filter, parse_filter
from sap.run import main
from sap.spec import PLANS_DIR, Analysis, DataSelection, PlanError, available_plans, load_plan

REPO = Path(__file__).resolve().parents[2]
FROZEN = REPO / "synthetic_data" / "frozen"
CDISCPILOT = REPO.parent / "shared" / "data" / "cdiscpilot01"
EXPLOIT = "AVAL.notna() | (@pd.io.common.os.system('id > pwned') == 12345)"


def _plan_with_where(tmp_path: Path, where: str, plan_id: str = "wang2013", analysis_id: str = "BASDAI-SUM") -> Path:
    """A copy of a shipped plan (same file name, so its frozen data is used) with one analysis's data.where set."""
    data = yaml.safe_load((PLANS_DIR / f"{plan_id}.yaml").read_text(encoding="utf-8"))
    (analysis,) = [a for a in data["analyses"] if a["id"] == analysis_id]
    analysis["data"] = {"dataset": "adeff", "where": where}
    folder = tmp_path / "plan"
    folder.mkdir()
    path = folder / f"{plan_id}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the exploit
def test_exploit_plan_is_refused_on_load_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _plan_with_where(tmp_path, EXPLOIT)
    with pytest.raises(PlanError) as err:
        load_plan(path)
    msg = str(err.value)
    assert "analyses[BASDAI-SUM].data.where" in msg and "'@' is not allowed" in msg
    assert not (tmp_path / "pwned").exists()


def test_exploit_plan_through_the_cli_exits_2_and_runs_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = _plan_with_where(tmp_path, EXPLOIT)
    assert main(["--plan", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "analyses[BASDAI-SUM].data.where" in capsys.readouterr().err
    assert not (tmp_path / "pwned").exists()
    assert not (tmp_path / "out").exists()


def test_where_error_names_the_analysis_id():
    with pytest.raises(ValueError, match=r"analyses\[X1\]\.data\.where: function call"):
        Analysis(id="X1", title="t", method="continuous_summary", population="FAS",
                 data={"dataset": "adeff", "where": "open('x')"})


def test_missing_column_at_run_time_names_analysis_dataset_and_column():
    analysis = load_plan("wang2013").analysis("BASDAI-SUM").model_copy(
        update={"data": DataSelection(dataset="adqs", where="NOSUCH == 1")})
    ctx = types.SimpleNamespace(derived={}, datasets={"adqs": pd.DataFrame({"PARAMCD": ["A"]})})
    with pytest.raises(UserInputError, match=r"analysis BASDAI-SUM: .*dataset adqs has no column 'NOSUCH'"):
        selected_records(ctx, analysis, "adeff")


# --------------------------------------------------------------------------- rejected expressions
REJECTED = [
    ("__import__('os')", "function call"),
    ("__import__('os').system('id')", "function call"),
    ("AVAL.__class__", "attribute access"),
    ("AVAL.__class__ == 1", "attribute access"),
    ("@x", "'@' is not allowed"),
    ("AVAL > @limit", "'@' is not allowed"),
    (EXPLOIT, "'@' is not allowed"),
    ("AVAL.apply(len)", "function call"),
    ("AVAL.str.upper() == 'X'", "function call"),
    ("AVAL.isin(BASE)", "expected a list of literals"),
    ("AVAL.notna", "attribute access"),
    ("AVAL[0] == 1", "subscript"),
    ("lambda: 1", "lambda"),
    ("(lambda: 1)()", "function call"),
    ("open('x')", "function call"),
    ("[c for c in AVAL]", "comprehension"),
    ("f'{AVAL}' == 'x'", "f-string"),
    ("(x := 1)", "assignment expression"),
    ("__builtins__ == 1", "dunder"),
    ("AVAL + 1 > 2", "arithmetic"),
    ("`A B` == 1", "backtick"),
    ("AVAL is None", "operator Is"),
    ("AVAL == [1, 2]", "using 'in'"),
    ("AVAL in BASE", "expected a list of literals"),
    ("AVAL in [BASE]", "not a literal"),
    ("b'x' == AVAL", "not a literal"),
    ("-AVAL > 1", "not a literal"),
    ("1 if AVAL else 2", "if-else"),
    ("AVAL >", "syntax error"),
    ("", "non-empty"),
]


@pytest.mark.parametrize("text,reason", REJECTED, ids=[t for t, _ in REJECTED])
def test_rejected_expressions(text, reason):
    with pytest.raises(FilterSyntaxError) as err:
        parse_filter(text)
    assert reason in str(err.value)


def test_rejected_expression_in_a_plan_is_a_plan_error(tmp_path):
    with pytest.raises(PlanError, match=r"analyses\[BASDAI-SUM\]\.data\.where: subscript"):
        load_plan(_plan_with_where(tmp_path, "AVAL[0] == 1"))


# --------------------------------------------------------------------------- accepted expressions
FRAME = pd.DataFrame({
    "AVAL": [1.0, 2.0, np.nan, 4.0, 5.0],
    "PARAMCD": ["A", "B", "A", None, "C"],
    "FL": ["Y", "N", "Y", "Y", ""],
    "AVISITN": [0, 8, 16, 24, 24],
    "OK": [True, False, True, False, True],
})
T, F = True, False
ACCEPTED = [
    ("AVAL > 1", [F, T, F, T, T]),                         # NaN compares False
    ("AVAL != 2", [T, F, T, T, T]),                        # ... except !=
    ("AVAL == 2.0", [F, T, F, F, F]),
    ("AVAL >= -1", [T, T, F, T, T]),
    ("PARAMCD == 'A'", [T, F, T, F, F]),
    ('PARAMCD != "A"', [F, T, F, T, T]),
    ("PARAMCD in ['A', 'C']", [T, F, T, F, T]),
    ("PARAMCD not in ('A', 'C')", [F, T, F, T, F]),
    ("AVISITN in [8, 16, 24]", [F, T, T, T, T]),
    ("AVAL.isin([1, 5])", [T, F, F, F, T]),
    ("AVAL.isna()", [F, F, T, F, F]),
    ("AVAL.isnull()", [F, F, T, F, F]),
    ("PARAMCD.notna()", [T, T, T, F, T]),
    ("PARAMCD.notnull()", [T, T, T, F, T]),
    ("~(AVAL > 1)", [T, F, T, F, F]),
    ("not AVAL > 1", [T, F, T, F, F]),
    ("AVAL > 1 & FL == 'Y'", [F, F, F, T, F]),             # pandas: & binds like 'and'
    ("(AVAL > 1) & (FL == 'Y')", [F, F, F, T, F]),
    ("AVAL < 2 | PARAMCD == 'C'", [T, F, F, F, T]),
    ("AVAL > 1 and FL == 'Y'", [F, F, F, T, F]),
    ("AVAL < 2 or PARAMCD == 'C'", [T, F, F, F, T]),
    ("not (AVAL < 2 or PARAMCD == 'C')", [F, T, T, T, F]),
    ("1 < AVAL <= 4", [F, T, F, T, F]),
    ("0 <= AVISITN < 24 and OK", [T, F, T, F, F]),
    ("OK", [T, F, T, F, T]),
    ("~OK | AVAL.isna()", [F, T, T, T, F]),
    ("AVAL > AVISITN", [T, F, F, F, F]),
    ("PARAMCD == 'A' and AVISITN == 16 and FL == 'Y'", [F, F, T, F, F]),
]


@pytest.mark.parametrize("text,expected", ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_accepted_expressions(text, expected):
    mask = evaluate_filter(parse_filter(text), FRAME, "adtest")
    assert mask.dtype == bool and mask.index.equals(FRAME.index)
    assert mask.tolist() == expected
    # the hand-computed masks agree with pandas (trusted text here)
    assert FRAME.query(text, engine="python").index.tolist() == FRAME.index[expected].tolist()


def test_columns_and_missing_column():
    expr = parse_filter("PARAMCD == 'A' and AVAL.notna() & NEWCOL in [1]")
    assert expr.columns == {"PARAMCD", "AVAL", "NEWCOL"}
    with pytest.raises(FilterColumnError, match="'NEWCOL' is not in dataset adtest") as err:
        evaluate_filter(expr, FRAME, "adtest")
    assert err.value.column == "NEWCOL" and err.value.dataset == "adtest"


# --------------------------------------------------------------------------- shipped plans: same rows as query
def _shipped_wheres() -> list[tuple[str, str, str, str]]:
    out = []
    for pid in available_plans():
        for analysis in load_plan(pid).analyses:
            if analysis.data is not None and analysis.data.where:
                out.append((pid, analysis.id, analysis.data.dataset.lower(), analysis.data.where))
    return out


SHIPPED = _shipped_wheres()


def _data_file(plan_id: str, dataset: str) -> Path | None:
    folders = [FROZEN / plan_id]
    if plan_id == "cdiscpilot01":  # the real CDISC pilot data (../shared), when present
        folders += [CDISCPILOT / "adam", CDISCPILOT / "adam_converted"]
    for folder in folders:
        for ext in (".csv", ".xpt"):
            if (folder / f"{dataset}{ext}").is_file():
                return folder / f"{dataset}{ext}"
    return None


def test_shipped_plans_have_where_expressions():
    assert SHIPPED, "no analyses[].data.where in sap/plans/*.yaml: the equivalence test below checks nothing"


@pytest.mark.parametrize("plan_id,analysis_id,dataset,where", SHIPPED, ids=[f"{p}:{a}" for p, a, _, _ in SHIPPED])
def test_shipped_where_selects_the_same_rows_as_query(plan_id, analysis_id, dataset, where):
    from sap.data.readers import read_dataset

    expr = parse_filter(where)
    source = _data_file(plan_id, dataset)
    if source is None:
        pytest.skip(f"no data file for {plan_id} {dataset}")
    frame = read_dataset(source)
    mask = evaluate_filter(expr, frame, dataset)
    expected = frame.query(where, engine="python")  # trusted: the shipped plans' own expressions
    assert len(expected) > 0
    pd.testing.assert_frame_equal(frame[mask.to_numpy()], expected)


FROZEN_PLANS = sorted(p.name for p in FROZEN.iterdir() if p.is_dir() and p.name in available_plans())


@pytest.mark.parametrize("plan_id", FROZEN_PLANS)
def test_adapter_default_filters_select_the_same_rows_as_query(plan_id):
    """The adapters' built-in ``PARAMCD == '<code>'`` filters on every frozen dataset with PARAMCD."""
    from sap.data.readers import read_dataset

    checked = 0
    for source in sorted((FROZEN / plan_id).glob("*.csv")):
        frame = read_dataset(source)
        if "PARAMCD" not in frame.columns:
            continue
        for code in sorted(frame["PARAMCD"].dropna().unique())[:25]:
            where = f"PARAMCD == {code!r}"
            mask = evaluate_filter(parse_filter(where), frame, source.stem)
            pd.testing.assert_frame_equal(frame[mask.to_numpy()], frame.query(where, engine="python"))
            checked += 1
    assert checked > 0
