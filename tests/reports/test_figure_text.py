"""Data-derived text in figures is plain text (issue 12, finding 5): ``$...$`` is not mathtext.

On the old code a subject id ``$\\frac$`` made matplotlib's mathtext parser raise (exit 1), and ``$ab$``
was typeset as italic math without the dollar signs.
"""
from __future__ import annotations

import pandas as pd

from reports.figures import plot_forest, plot_swimmer, save_figure


def _episodes(subjects):
    return pd.DataFrame({"subject": subjects, "group": ["A"] * len(subjects), "start": [0.0] * len(subjects),
                         "end": [4.0 + i for i in range(len(subjects))], "event": [True] * len(subjects)})


def test_tex_like_subject_ids_do_not_crash(tmp_path):
    fig = plot_swimmer(_episodes([r"$\frac$", "$x^2$", "S-3"]), xlabel="Weeks")
    paths = save_figure(fig, tmp_path / "F1")  # drawing is where mathtext would fail
    assert all(p.stat().st_size > 0 for p in paths)


def test_dollar_labels_print_as_typed(tmp_path):
    fig = plot_forest(pd.DataFrame({"subgroup": ["Overall", "Site"], "level": ["", "$ab$"],
                                    "estimate": [0.1, 0.2], "ci_lower": [0.0, 0.1], "ci_upper": [0.2, 0.3]}),
                      xlabel="Difference")
    fig.canvas.draw()
    ax = fig.axes[0]
    ticks = {t.get_text(): t for t in ax.get_yticklabels()}
    renderer = fig.canvas.get_renderer()
    shown = ticks["Site: $ab$"]
    # As plain text the label keeps its two dollar signs, so it is wider than the same label without them;
    # typeset as math the dollars vanish and "ab" is narrower than "Site: ab" in the upright font.
    reference = ax.text(0, 0, "Site: ab", fontsize=shown.get_fontsize())
    assert shown.get_window_extent(renderer).width > reference.get_window_extent(renderer).width
    save_figure(fig, tmp_path / "F2")
