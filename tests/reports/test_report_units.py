"""Unit tests of the report layer's escaping, raw blocks, table layout, reproduction check, offline-HTML
check and figure input checks (no rendering of whole documents)."""
from __future__ import annotations

import pandas as pd

from reports.display import DisplayTable
import pytest

from reports.text import escape_markdown, raw_block, safe_filename, typst_string, yaml_string


def test_escape_markdown_leaves_no_markup():
    s = escape_markdown("<script>alert(1)</script> *x* $y$ {{< z >}} [a](http://b)")
    assert "<" not in s.replace("\\<", "")
    assert all(ch == "\\" or s[i - 1] == "\\" for i, ch in enumerate(s) if ch in "<>*$[]{}()")


def test_markdown_escape_renders_as_text_in_pandoc():
    import pypandoc

    from reports.render import MARKDOWN_READER

    text = "<script>alert(1)</script> **bold** `code` $x$"
    html = pypandoc.convert_text(escape_markdown(text), "html", format=MARKDOWN_READER)
    assert "<script" not in html and "<strong>" not in html and "<code>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** `code` $x$" in html


def test_raw_block_fence_outlasts_backticks_in_data():
    block = raw_block("html", "a ```` b")
    assert block.startswith("`````{=html}\n") and block.rstrip().endswith("`````")


def test_typst_string_is_inert():
    import typst

    payload = '"); #panic("x") // \\ <script> $ # [ ]'
    src = f"#set page(width: 20cm, height: auto)\n#text({typst_string(payload)})"
    pdf = typst.compile(src.encode("utf-8"))
    from io import BytesIO

    import pypdf

    text = pypdf.PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert '#panic("x")' in text and "<script>" in text


def test_yaml_string_and_filename():
    import yaml

    assert yaml.safe_load("t: " + yaml_string("it's \\<b\\>")) == {"t": "it's \\<b\\>"}
    assert safe_filename("F14.2.1") == "F14.2.1" and safe_filename("a/b c") == "a_b_c"


def _dt(frame, **kw):
    return DisplayTable(title="t", frame=frame, **kw)


def test_layout_portrait_wrap_and_landscape():
    from reports.tables import layout_for

    small = _dt(pd.DataFrame({"Statistic": ["n"], "A (N=3)": ["3"]}), stub_columns=("Statistic",))
    assert layout_for([small]).landscape is False
    prose = _dt(pd.DataFrame({"Item": ["x"], "Text": [" ".join(["word"] * 60)], "More": [" ".join(["w"] * 80)]}))
    lay = layout_for([prose])
    assert lay.landscape is False and lay.fit_width is True  # text wraps on a portrait page
    stats = {f"Week {k} (N=40)": ["-1.23 (-2.34, -0.12)"] for k in range(9)}
    wide = _dt(pd.DataFrame({"Statistic": ["LS mean"], **stats}), stub_columns=("Statistic",))
    assert layout_for([wide]).landscape is True  # statistics never wrap: landscape


def test_reproduction_agreement():
    from types import SimpleNamespace

    from reports.reproduction import decimals_for, summarize_reproduction

    assert (decimals_for(0.1), decimals_for(0.05), decimals_for(1), decimals_for(0.01)) == (1, 2, 0, 2)
    tidy = pd.DataFrame({"analysis_id": ["A", "A", "B"], "statistic": ["mean", "mean", "proportion"],
                         "visit": [12.0, 24.0, 12.0], "estimate": [2.449, 3.0, 0.6], "label": [None, None, None]})
    outcomes = {"A": SimpleNamespace(rows=tidy[tidy.analysis_id == "A"], not_estimable=None),
                "B": SimpleNamespace(rows=tidy[tidy.analysis_id == "B"], not_estimable=None)}
    pv = lambda **k: SimpleNamespace(**{"label": "x", "source": "paper", "visit": 12.0, **k})  # noqa: E731
    plan = SimpleNamespace(published=(pv(value=2.4, precision=0.1, analysis="A", statistic="mean"),
                                      pv(value=2.5, precision=0.1, analysis="A", statistic="mean"),
                                      pv(value=2.45, precision=0.01, analysis="A", statistic="mean"),
                                      pv(value=60, precision=1, analysis="B", statistic="proportion"),
                                      pv(value=1, precision=1, analysis="C", statistic="mean"),
                                      pv(value=1, precision=1, analysis="A", statistic="mean", visit=None)),
                           visit_label=lambda v: f"Week {v:g}")
    frame = summarize_reproduction(plan, outcomes)
    # 2.449 rounds to 2.4 (agrees with 2.4, not with 2.5) and to 2.45 at precision 0.01
    assert frame["Agrees"].tolist()[:4] == ["yes", "no", "yes", "no"]
    assert frame["Agrees"].iloc[4].startswith("not compared (analysis C not in this run")
    assert "ambiguous" in frame["Agrees"].iloc[5]


def test_check_html_offline_flags_external_references(tmp_path):
    from reports.render import RenderError, check_html_offline

    ok = tmp_path / "ok.html"
    ok.write_text('<p>&lt;img src=http://x&gt; see http://example.org</p><img src="data:image/png;base64,AA">')
    check_html_offline(ok)
    for bad in ('<script src="https://cdn.example/x.js"></script>', '<link href="//fonts.example/a.css">',
                "<style>@import url(https://fonts.example/a.css);</style>",
                '<div style="background: url(http://x/y.png)"></div>'):
        path = tmp_path / "bad.html"
        path.write_text(bad)
        with pytest.raises(RenderError, match="external references"):
            check_html_offline(path)


def test_figure_frame_missing_column_is_named():
    from reports.figures import plot_mean_change

    with pytest.raises(ValueError, match=r"frames\['lsmeans'\]: missing column\(s\) ci_lower, ci_upper"):
        plot_mean_change(pd.DataFrame({"visit": [1], "estimate": [0.1]}), ylabel="y")


def test_figures_pool_when_blinded(tmp_path):
    from reports.figures import plot_response_rates, save_figure

    rates = pd.DataFrame({"group": ["A", "B"], "visit": [4, 4], "estimate": [0.5, 0.2],
                          "ci_lower": [0.3, 0.1], "ci_upper": [0.7, 0.4]})
    fig = plot_response_rates(rates.drop(columns="group"), ylabel="Responders (%)", pooled=True)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["All subjects (pooled)"]
    paths = save_figure(fig, tmp_path / "F1.2.3")
    assert [p.name for p in paths] == ["F1.2.3.png", "F1.2.3.svg"]


def test_reproduction_says_how_calibrated_data_were_made():
    """On the frozen wang2013 data (selected to match the paper) the reproduction table must not read as an
    independent confirmation; on other data it says nothing of the kind."""
    from reports.results_document import reproduction_markdown
    from sap.spec import load_plan

    plan = load_plan("wang2013")
    on_frozen = reproduction_markdown(plan, {}, calibrated_data=True).replace("\\", "")
    assert "selected from a simulated pool" in on_frozen and "not an independent confirmation" in on_frozen
    assert "selected from a simulated pool" not in reproduction_markdown(plan, {}).replace("\\", "")
