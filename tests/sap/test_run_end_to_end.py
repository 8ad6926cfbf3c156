"""End to end as a user runs it: outputs, provenance, offline HTML, escaping of data text, blinded review."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sap.pipeline import frozen_data_dir
from sap.spec import load_plan, plan_sha256

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "golden"))
import keyed  # noqa: E402  (the goldens' key and tolerance, tests/golden/keyed.py)
FROZEN = REPO / "synthetic_data" / "frozen"


def _run(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-W", "ignore", "-m", "sap.run", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def wang_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "wang2013"
    _run("--plan", "wang2013", "--out", str(out))
    return out


def test_outputs_and_manifest(wang_out):
    for name in ("report.html", "report.pdf", "sap.html", "report.qmd", "results.json", "manifest.json"):
        assert (wang_out / name).is_file(), name
    assert list((wang_out / "tables").glob("*.csv")) and list((wang_out / "figures").iterdir())
    manifest = json.loads((wang_out / "manifest.json").read_text())
    plan = load_plan("wang2013")
    assert manifest["plan_id"] == "wang2013" and manifest["plan_sha256"] == plan_sha256(plan)
    assert manifest["seed"] == plan.data.synthetic.seed
    sums = dict(line.split()[::-1] for line in (FROZEN / "wang2013" / "SHA256SUMS").read_text().splitlines())
    for inp in manifest["inputs"]:
        assert inp["sha256"] == sums[Path(inp["path"]).name]
    assert {"numpy", "pandas", "scipy", "statsmodels"} <= set(manifest["packages"])
    results = json.loads((wang_out / "results.json").read_text())
    assert results["plan"]["sha256"] == plan_sha256(plan)
    required = {"analysis_id", "endpoint", "population", "visit", "group", "comparator", "statistic", "estimate",
                "se", "ci_lower", "ci_upper", "df", "p_value", "n"}
    assert results["results"] and all(required <= set(r) for r in results["results"])


def test_html_is_offline(wang_out):
    for name in ("report.html", "sap.html"):
        html = (wang_out / name).read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I), name
        assert "@import" not in html and not re.search(r"url\(\s*['\"]?https?:", html, re.I)


def test_data_text_is_escaped_in_html(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FROZEN / "wang2013", data)
    (data / "SHA256SUMS").unlink()
    adsl = pd.read_csv(data / "adsl.csv")
    adae = pd.read_csv(data / "adae.csv")
    evil = "<script>alert(1)</script>"
    row = {c: None for c in adae.columns}
    row.update(STUDYID=adsl["STUDYID"][0], USUBJID=adsl["USUBJID"][0], AESEQ=1, AETERM=evil, AEDECOD=evil,
               AEBODSYS="General disorders and administration site conditions", ASTDT=adsl["TRTSDT"][0], ASTDY=1,
               AESER="N", AETOXGR=1, AEREL="NOT RELATED", TRTEMFL="Y", DLTFL="N")
    pd.DataFrame([row], columns=adae.columns).to_csv(data / "adae.csv", index=False)
    out = tmp_path / "out"
    _run("--plan", "wang2013", "--data", str(data), "--out", str(out), "--format", "html")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_blinded_review_pools_arms_and_randomization_unblinds(tmp_path):
    blinded = FROZEN / "cg-bm1-blinded"
    out_b = tmp_path / "blinded"
    _run("--plan", "cg-bm1", "--data", str(blinded), "--out", str(out_b), "--format", "html")
    rows = json.loads((out_b / "results.json").read_text())["results"]
    groups = {r["group"] for r in rows if r["analysis_id"] == "ASAS20-RATE"}
    assert groups == {"Blinded treatment (pooled)"}
    assert not [r for r in rows if r["analysis_id"] == "ASAS20-CMP"]
    assert not any(r["group"] in ("Placebo", "CG-BM1 (RP2D)") for r in rows)
    out_u = tmp_path / "unblinded"
    _run("--plan", "cg-bm1", "--data", str(blinded), "--randomization", str(blinded / "randomization.csv"),
         "--out", str(out_u), "--format", "html")
    unblinded = [r for r in json.loads((out_u / "results.json").read_text())["results"]
                 if r["analysis_id"] == "ASAS20-CMP"]
    golden = keyed.read_csv(REPO / "tests" / "golden" / "cg-bm1.csv")
    golden = golden[golden["analysis_id"] == "ASAS20-CMP"]
    assert unblinded and len(unblinded) == len(golden)
    # unblinding reproduces the open-data golden rows, compared by key at the goldens' tolerance
    assert keyed.compare_keyed(golden, keyed.keyed_frame(unblinded)) == []
