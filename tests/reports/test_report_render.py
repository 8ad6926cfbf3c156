"""Render a hand-built RunBundle of the cg-bm1 plan to HTML and PDF (Pandoc + Typst path) and check the
documents: captions and catalogue ids in the PDF text, offline HTML, escaping of data text, the SAP's
SHA-256, the escalation report and the CSV/figure files. Independent of the pipeline and of the table shells:
the display tables are hand-built and handed to the documents in place of the shells (``display_tables``)."""
from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from analyses.results import tidy_frame
from reports.display import DisplayTable
from sap.bundle import RunBundle
from sap.results import AnalysisResult
from sap.spec import load_plan, plan_sha256

pypdf = pytest.importorskip("pypdf")

XSS = "<script>alert(1)</script>"
XSS_URL = "<img src=http://evil.example/x.png>"
ARMS = ("CG-BM1 RP2D", "Placebo")


#: analysis id -> the hand-built display tables the documents show for it
TABLES: dict[str, list] = {}


@pytest.fixture(scope="module", autouse=True)
def hand_built_tables():
    """The documents print TABLES instead of calling the table shells (tested in tests/reports/test_shells_*)."""
    def tables(result, sc):
        return list(TABLES.get(result.analysis_id, []))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("reports.results_document.display_tables", tables)
        mp.setattr("reports.escalation_document.display_tables", tables)
        yield


def _outcome(plan, analysis_id, tables=(), figure_data=None, notes=(), not_estimable=None):
    a = plan.analysis(analysis_id)
    TABLES[a.id] = list(tables)
    return AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame([]),
                          frames=figure_data or {}, notes=tuple(notes), not_estimable=not_estimable)


def _table(title, n_rows=3, wide=False):
    cols = {"Statistic": [f"Row {i}" for i in range(n_rows)],
            "CG-BM1 (N=20)": [f"{i + 1} ({5 * (i + 1):.1f}%)" for i in range(n_rows)],
            "Placebo (N=20)": [f"{i} ({5 * i:.1f}%)" for i in range(n_rows)]}
    if wide:
        for k in range(9):
            cols[f"Week {k} difference (95% CI) (N=40)"] = ["-1.23 (-2.34, -0.12)"] * n_rows
    return DisplayTable(title=title, frame=pd.DataFrame(cols), footnotes=("Percentages use N as denominator.",),
                        stub_columns=("Statistic",))


def build_bundle(blinded=False):
    plan = load_plan("cg-bm1")
    visits = [1, 4, 8, 12, 24]
    labels = [plan.visit_label(v) for v in visits]
    outcomes = {}
    ae = DisplayTable(
        title="TEAEs by SOC and PT",
        frame=pd.DataFrame({"SOC": ["Infections", "Infections", "General disorders"],
                            "Preferred term": [XSS, "Pneumonia", XSS_URL],
                            "CG-BM1 (N=20)": ["1 (5.0%)", "2 (10.0%)", "3 (15.0%)"],
                            "Placebo (N=20)": ["0", "1 (5.0%)", "0"]}),
        footnotes=("MedDRA preferred terms; a subject is counted once per term.",),
        stub_columns=("Preferred term",), group_column="SOC")
    outcomes["AE-SOCPT"] = _outcome(plan, "AE-SOCPT", [ae])
    for aid in ("DISP", "POP", "DEMOG", "EXPO", "AE-OVW", "ASAS20-CMP", "ASAS20-PP", "DLT-RATE"):
        outcomes[aid] = _outcome(plan, aid, [_table(plan.analysis(aid).title)], notes=["checked"])
    outcomes["BASDAI-MMRM"] = _outcome(
        plan, "BASDAI-MMRM", [_table("BASDAI change from baseline: MMRM", n_rows=12, wide=True)],
        figure_data={"lsmeans": pd.DataFrame({"group": np.repeat(ARMS, 5), "visit": visits * 2,
                                              "visit_label": labels * 2,
                                              "estimate": [-0.5, -1.2, -1.8, -2.1, -1.9, -0.2, -0.4, -0.6, -0.7, -0.5],
                                              "ci_lower": [-1.0, -1.8, -2.5, -2.9, -2.8, -0.7, -1.0, -1.2, -1.4, -1.3],
                                              "ci_upper": [0.0, -0.6, -1.1, -1.3, -1.0, 0.3, 0.2, 0.0, 0.0, 0.3]})},
        notes=["Unstructured covariance converged."])
    outcomes["TNFA-MMRM"] = _outcome(plan, "TNFA-MMRM",
                                     not_estimable="fewer than 2 subjects with post-baseline values in the placebo arm")
    rng = np.random.default_rng(1)
    outcomes["ASAS20-RATE"] = _outcome(
        plan, "ASAS20-RATE", [_table("ASAS20 response rate by visit")],
        figure_data={"rates": pd.DataFrame({"group": np.repeat(ARMS, 5), "visit": visits * 2,
                                            "visit_label": labels * 2,
                                            "estimate": [.2, .4, .5, .6, .5, .1, .15, .2, .2, .15],
                                            "ci_lower": [.06, .19, .27, .36, .27, .01, .03, .06, .06, .03],
                                            "ci_upper": [.44, .64, .73, .81, .73, .32, .38, .44, .44, .38],
                                            "n": [20] * 10})})
    times = np.arange(0, 21, 4.0)
    km = pd.DataFrame({"group": np.repeat(ARMS, len(times)), "time": np.r_[times, times],
                       "survival": np.r_[[1, .9, .8, .7, .6, .6], [1, .8, .5, .4, .3, .3]],
                       "ci_lower": np.r_[[1, .7, .6, .5, .4, .4], [1, .5, .2, .15, .1, .1]],
                       "ci_upper": np.r_[[1, 1, .95, .9, .8, .8], [1, .95, .8, .7, .6, .6]],
                       "censored": [False, False, True, False, False, True] * 2})
    risk = pd.DataFrame({"group": np.repeat(ARMS, 3), "time": [0, 8, 16] * 2, "n_at_risk": [12, 9, 5, 6, 3, 1]})
    episodes = pd.DataFrame({"subject": [f"S{i:02d}" for i in range(12)], "group": np.repeat(ARMS, 6),
                             "start": rng.integers(1, 8, 12).astype(float), "end": rng.integers(9, 24, 12).astype(float),
                             "event": [True, False] * 6, "ongoing": [False, True] * 6})
    outcomes["DUR-ASAS20"] = _outcome(plan, "DUR-ASAS20", [_table("Duration of ASAS20 response")],
                                      figure_data={"km_curve": km, "at_risk": risk, "episodes": episodes})
    subgroups = pd.DataFrame({"subgroup": ["Overall", "Baseline CRP", "Baseline CRP", "Sex", "Sex"],
                              "level": ["", "< 10", ">= 10", "Male", "Female"],
                              "estimate": [.4, .35, .45, .38, .5], "ci_lower": [.1, -.05, .02, .05, -.1],
                              "ci_upper": [.62, .65, .72, .63, .8], "n": [40, 22, 18, 30, 10]})
    cmp = outcomes["ASAS20-CMP"]
    outcomes["ASAS20-CMP"] = AnalysisResult(cmp.analysis_id, cmp.method, cmp.title, cmp.population, cmp.endpoint,
                                            cmp.rows, notes=cmp.notes, frames={"subgroups": subgroups})
    traj = pd.DataFrame([{"subject": f"S{i:02d}", "group": ARMS[i % 2], "visit": v,
                          "value": 6 - 0.1 * v * (i % 2 == 0) + rng.normal(0, .5)} for i in range(10) for v in [0] + visits])
    outcomes["BASDAI-SUM"] = _outcome(plan, "BASDAI-SUM", [_table("BASDAI by visit")],
                                      figure_data={"trajectories": traj})
    esc_tidy = pd.DataFrame([
        dict(analysis_id="ESC", statistic="decision", group="1.0", estimate=0, n=3, label="escalate", cohort=1,
             rule="0/3 DLT: escalate"),
        dict(analysis_id="ESC", statistic="decision", group="2.0", estimate=1, n=3, label="expand", cohort=2,
             rule="1/3 DLT: expand"),
        dict(analysis_id="ESC", statistic="decision", group="2.0", estimate=1, n=6, label="escalate", cohort=3,
             rule="1/6 DLT: escalate"),
        dict(analysis_id="ESC", statistic="decision", group="2.0", estimate=None, n=6, cohort=None, rule=None,
             label="recommendation: stop; MTD status: declared; RP2D: 2.0")])
    cohorts = pd.DataFrame({"cohort": [1, 2, 3], "dose": ["1.0", "2.0", "2.0"], "subjects": ["S01", "S02", "S03"],
                            "n_cohort": [3, 3, 3], "n_dlt_cohort": [0, 1, 0], "n_at_dose": [3, 3, 6],
                            "n_dlt_at_dose": [0, 1, 1], "decision": ["escalate", "expand", "escalate"],
                            "rule": ["0/3 DLT: escalate", "1/3 DLT: expand", "1/6 DLT: escalate"]})
    esc = plan.analysis("ESC")
    outcomes["ESC"] = AnalysisResult("ESC", esc.method, esc.title, esc.population, esc.endpoint, esc_tidy,
                                     frames={"cohorts": cohorts},
                                     extra={"phase": "P1", "recommendation": "stop", "mtd_status": "declared",
                                            "mtd": "2.0", "rp2d": "2.0", "n_at_mtd": 6})
    outcomes["ESC-OC"] = _outcome(plan, "ESC-OC", [_table("Operating characteristics")])
    manifest = {"plan_id": plan.id, "plan_sha256": plan_sha256(plan), "seed": 20261123,
                "inputs": [{"name": "adsl", "path": "synthetic_data/frozen/cg-bm1/adsl.csv", "sha256": "a" * 64,
                            "rows": 58}],
                "packages": {"numpy": "2.0", "pandas": "2.2"}, "run_started": "2026-11-23T10:00:00Z",
                "run_finished": "2026-11-23T10:00:30Z", "data_source": "frozen synthetic data"}
    return RunBundle(plan=plan, plan_sha256=plan_sha256(plan), outcomes=outcomes, manifest=manifest,
                     blinded=blinded, data_notes=[f"Sponsor BASDAI differs from re-derived score for 1 record {XSS}"])


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from reports import render_run

    out = tmp_path_factory.mktemp("report")
    paths = render_run(build_bundle(), out, formats=("html", "pdf"), engine="pandoc")
    return out, paths


def pdf_text(path):
    reader = pypdf.PdfReader(str(path))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_all_documents_written(rendered):
    out, paths = rendered
    for name in ("report.qmd", "report.html", "report.pdf", "sap.qmd", "sap.html", "sap.pdf",
                 "escalation.qmd", "escalation.html", "escalation.pdf"):
        assert (out / name).is_file(), name
        assert (out / name) in paths
    assert not list(out.glob("*.typ"))


def test_pdf_has_every_catalogue_caption_once(rendered):
    out, _ = rendered
    text = pdf_text(out / "report.pdf")
    plan = load_plan("cg-bm1")
    tables = [o for o in plan.outputs if o.kind == "table"]
    figures = [o for o in plan.outputs if o.kind == "figure"]
    table_caps = re.findall(r"^Table (\d[\d.]*): ", text, flags=re.MULTILINE)
    figure_caps = re.findall(r"^Figure (\d[\d.]*): ", text, flags=re.MULTILINE)
    assert sorted(table_caps) == sorted(o.id for o in tables)
    assert sorted(figure_caps) == sorted(o.id.lstrip("F") for o in figures)
    for o in tables:  # the list of tables names each one too
        assert f"Table {o.id}" in text


def test_pdf_shows_n_headers_footnotes_and_not_estimable(rendered):
    out, _ = rendered
    text = pdf_text(out / "report.pdf")
    assert "CG-BM1 (N=20)" in text and "Placebo (N=20)" in text
    assert "MedDRA preferred terms; a subject is counted once per term." in text
    assert "Population: Safety (SAF)." in text
    assert "TNFA-MMRM" in text and "fewer than 2 subjects" in text
    assert "<script>alert(1)</script>" in text  # data text printed literally


def test_html_is_offline(rendered):
    out, _ = rendered
    for name in ("report.html", "sap.html", "escalation.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]*\ssrc\s*=", html, re.I), name
        assert not re.search(r"<link[^>]*href\s*=\s*[\"']?https?:", html, re.I), name
        assert not re.search(r"@import\s+url\(\s*[\"']?https?:", html, re.I), name
        assert "mathjax" not in html.lower() and "fonts.googleapis" not in html
        # the only URL in any document is the escaped data text of the AE fixture
        urls = re.findall(r"https?://[^\s\"'<>&]*", html)
        assert set(urls) <= {"http://evil.example/x.png"}, (name, set(urls))
    report = (out / "report.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<img[^>]*\ssrc="data:image/png;base64,', report)) == 6  # figures embedded


def test_html_escapes_data_text(rendered):
    out, _ = rendered
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # in the GT table and in the data notes
    assert "<img src=http://evil.example" not in html
    assert "&lt;img src=http://evil.example/x.png&gt;" in html


def test_sap_document_shows_sha_and_design(rendered):
    out, _ = rendered
    plan = load_plan("cg-bm1")
    sha = plan_sha256(plan)
    sap_text = pdf_text(out / "sap.pdf")
    assert sha in sap_text and sha in (out / "sap.html").read_text(encoding="utf-8")
    flat = " ".join(sap_text.split())
    assert "Treat 3 subjects at a dose level." in flat  # 3+3 rule quoted
    for heading in ("Estimands", "Visit schedule and analysis windows", "Multiplicity", "Table shells"):
        assert heading in sap_text
    assert "Composite strategy: non-responder from the start of rescue onwards" in flat


def test_escalation_report(rendered):
    out, _ = rendered
    flat = " ".join(pdf_text(out / "escalation.pdf").split())
    assert "Treat 3 subjects at a dose level." in flat
    assert "Decision after each cohort" in flat
    assert "stop; MTD status: declared; RP2D: 2.0" in flat
    assert "1/3 DLT: expand" in flat


def test_appendix_in_every_document(rendered):
    out, _ = rendered
    for name in ("report", "sap", "escalation"):
        flat = " ".join(pdf_text(out / f"{name}.pdf").split())
        assert "Appendix: provenance of this document" in flat
        assert "a" * 64 in flat and "20261123" in flat, name  # input SHA-256 and seed


def test_tables_and_figures_files(rendered):
    out, paths = rendered
    csv = out / "tables" / "14.3.2_1.csv"
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["SOC", "Preferred term", "CG-BM1 (N=20)", "Placebo (N=20)"]
    assert frame["Preferred term"].iloc[0] == XSS
    assert (out / "tables" / "14.2.4_2.csv").is_file()  # second analysis of a two-analysis table
    for fid in ("F14.2.1", "F14.2.2", "F14.2.3", "F14.2.4", "F14.2.5", "F14.2.6"):
        assert (out / "figures" / f"{fid}.png").is_file() and (out / "figures" / f"{fid}.svg").is_file()
    assert all(p.exists() for p in paths)


def test_blinded_labels(tmp_path):
    from reports import write_sources

    docs, _ = write_sources(build_bundle(blinded=True), tmp_path)
    report = (tmp_path / "report.qmd").read_text(encoding="utf-8")
    assert "BLINDED \u2014 pooled over arms" in report
    assert "Table 14.3.2: TEAEs by system organ class and preferred term [BLINDED \u2014 pooled over arms]" in report
    assert "BLINDED" in (tmp_path / "sap.qmd").read_text(encoding="utf-8").split("---")[1]  # subtitle


@pytest.mark.skipif(shutil.which("quarto") is None, reason="no quarto executable on PATH")
def test_quarto_path_renders(tmp_path):
    from reports import render_run

    paths = render_run(build_bundle(), tmp_path, formats=("html", "pdf"), engine="quarto")
    assert (tmp_path / "report.html").is_file() and (tmp_path / "report.pdf").is_file()
    assert all(p.exists() for p in paths)
