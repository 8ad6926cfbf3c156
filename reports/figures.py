"""Figure builders (matplotlib Figure objects, no pyplot state) for the documented ``frames`` of a result (:mod:`sap.results`).

Each builder takes the frame(s) named in :mod:`sap.results` and returns a matplotlib Figure; nothing is
estimated here (curves, CIs and numbers at risk come from the analyses). Colours are the Okabe-Ito
palette (distinguishable with colour-vision deficiency) with a distinct marker per group, so the figures
also read in greyscale. Like SAS ODS graphics / R ``ggplot2`` + ``survminer`` layouts (mean +- CI plot,
KM plot with a risk table, forest plot, swimmer and spaghetti plots), written by hand here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import functools

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.format import ci_header, fmt_estimate_ci

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
POOLED = "All subjects (pooled)"

#: figure type of the plan's output catalogue -> result frames the builder needs
FIGURE_KEYS: dict[str, tuple[str, ...]] = {
    "mean_change": ("lsmeans",),
    "response_rates": ("rates",),
    "km": ("km_curve", "at_risk"),
    "forest": ("subgroups",),
    "swimmer": ("episodes",),
    "spaghetti": ("trajectories",),
}

_REQUIRED = {
    "lsmeans": ("visit", "estimate", "ci_lower", "ci_upper"),
    "rates": ("visit", "estimate", "ci_lower", "ci_upper"),
    "km_curve": ("time", "survival"),
    "at_risk": ("time", "n_at_risk"),
    "subgroups": ("subgroup", "level", "estimate", "ci_lower", "ci_upper"),
    "episodes": ("subject", "start", "end"),
    "trajectories": ("subject", "visit", "value"),
}

#: the figures' style, applied with matplotlib.rc_context while a figure is drawn and saved: importing this module
#: changes neither the backend nor the global rcParams (a notebook's own plots keep theirs)
STYLE = {
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9,
    "xtick.labelsize": 9, "ytick.labelsize": 9, "axes.spines.top": False, "axes.spines.right": False,
    "svg.hashsalt": "sap-report", "font.family": "DejaVu Sans",
    # Labels come from the data (subject ids, subgroup levels, AE terms): plain text, never mathtext, so that
    # "$x$" prints as typed and "$\\frac$" cannot crash a run.
    "text.parse_math": False,
}


def styled(draw):
    """Run ``draw`` inside ``matplotlib.rc_context(STYLE)`` (figures are matplotlib.figure.Figure objects,
    not pyplot figures: no global state, no backend switch; savefig picks the canvas for the file type)."""
    @functools.wraps(draw)
    def inner(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)
    return inner


def _figure(**kw) -> Figure:
    """A Figure on its own Agg canvas (drawable and savable; the global backend is not touched)."""
    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig


def _subplots(nrows: int = 1, ncols: int = 1, **kw):
    """(figure, axes) like pyplot.subplots, without pyplot."""
    fig = _figure(**{k: kw.pop(k) for k in ("figsize", "layout") if k in kw})
    return fig, fig.subplots(nrows, ncols, **kw)


def check_figure_frame(frame: pd.DataFrame, key: str) -> None:
    """Raise ValueError naming the frame key and the missing columns."""
    missing = [c for c in _REQUIRED[key] if c not in frame.columns]
    if missing:
        raise ValueError(f"frames[{key!r}]: missing column(s) {', '.join(missing)}; "
                         f"has {', '.join(map(str, frame.columns))}")


def _with_groups(frame: pd.DataFrame, pooled: bool) -> tuple[pd.DataFrame, list[str]]:
    frame = frame.copy()
    if pooled or "group" not in frame.columns:
        frame["group"] = POOLED
    frame["group"] = frame["group"].astype(str)
    return frame, list(dict.fromkeys(frame["group"]))


def _style(i: int) -> dict:
    return {"color": OKABE_ITO[i % len(OKABE_ITO)], "marker": MARKERS[i % len(MARKERS)]}


def _visit_axis(ax, frame: pd.DataFrame) -> None:
    visits = sorted(pd.unique(frame["visit"].astype(float)))
    ax.set_xticks(visits)
    if "visit_label" in frame.columns:
        labels = frame.drop_duplicates("visit").set_index("visit")["visit_label"]
        ax.set_xticklabels([str(labels.get(v, f"{v:g}")) for v in visits])
    else:
        ax.set_xticklabels([f"{v:g}" for v in visits])


def _dodge(frame: pd.DataFrame, n_groups: int) -> float:
    visits = np.sort(pd.unique(frame["visit"].astype(float)))
    span = (visits[-1] - visits[0]) if len(visits) > 1 else 1.0
    return 0.012 * span if n_groups > 1 else 0.0


def _estimate_plot(frame: pd.DataFrame, *, ylabel: str, xlabel: str, pooled: bool,
                   scale: float = 1.0, reference: float | None = 0.0) -> Figure:
    frame, groups = _with_groups(frame, pooled)
    fig, ax = _subplots(figsize=(7.5, 4.3), layout="constrained")
    step = _dodge(frame, len(groups))
    for i, g in enumerate(groups):
        d = frame[frame["group"] == g].sort_values("visit")
        x = d["visit"].astype(float).to_numpy() + (i - (len(groups) - 1) / 2) * step
        y = d["estimate"].astype(float).to_numpy() * scale
        lo = y - d["ci_lower"].astype(float).to_numpy() * scale
        hi = d["ci_upper"].astype(float).to_numpy() * scale - y
        ax.errorbar(x, y, yerr=[lo, hi], capsize=3, linewidth=1.5, markersize=5, label=g, **_style(i))
    if reference is not None:
        ax.axhline(reference, color="0.5", linewidth=0.8, linestyle="--")
    _visit_axis(ax, frame)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="0.9")
    ax.legend(loc="best", frameon=False)
    return fig


@styled
def plot_mean_change(lsmeans: pd.DataFrame, *, ylabel: str, xlabel: str = "Visit (study week)",
                     pooled: bool = False) -> Figure:
    """Mean (LS mean) change from baseline with its CI by visit and arm (``lsmeans`` frame)."""
    check_figure_frame(lsmeans, "lsmeans")
    return _estimate_plot(lsmeans, ylabel=ylabel, xlabel=xlabel, pooled=pooled)


@styled
def plot_response_rates(rates: pd.DataFrame, *, ylabel: str, xlabel: str = "Visit (study week)",
                        pooled: bool = False) -> Figure:
    """Response rate (%) with CI by visit and arm (``rates`` frame; proportions 0-1 are shown as %)."""
    check_figure_frame(rates, "rates")
    is_proportion = float(np.nanmax(rates[["estimate", "ci_upper"]].astype(float).to_numpy())) <= 1.0
    fig = _estimate_plot(rates, ylabel=ylabel, xlabel=xlabel, pooled=pooled,
                         scale=100.0 if is_proportion else 1.0, reference=None)
    fig.axes[0].set_ylim(0, 100)
    return fig


@styled
def plot_km(km_curve: pd.DataFrame, at_risk: pd.DataFrame | None, *, xlabel: str, ylabel: str,
            pooled: bool = False) -> Figure:
    """Kaplan-Meier step curves (+ CI band, censoring ticks) with a numbers-at-risk table underneath."""
    check_figure_frame(km_curve, "km_curve")
    curve, groups = _with_groups(km_curve, pooled)
    risk = None
    if at_risk is not None and not at_risk.empty:
        check_figure_frame(at_risk, "at_risk")
        risk, risk_groups = _with_groups(at_risk, pooled)
        groups += [g for g in risk_groups if g not in groups]
    n_rows = len(groups) if risk is not None else 0
    fig = _figure(figsize=(7.5, 4.6 + 0.25 * n_rows), layout="constrained")
    grid = fig.add_gridspec(2 if risk is not None else 1, 1,
                            height_ratios=[4.2, 0.45 + 0.25 * n_rows] if risk is not None else [1])
    ax = fig.add_subplot(grid[0])
    for i, g in enumerate(groups):
        d = curve[curve["group"] == g].sort_values("time", kind="stable")
        if d.empty:
            continue
        st = _style(i)
        t = d["time"].astype(float).to_numpy()
        s = d["survival"].astype(float).to_numpy()
        if t[0] > 0:  # every KM curve starts at S(0) = 1
            t, s = np.r_[0.0, t], np.r_[1.0, s]
            lo_raw = np.r_[1.0, d["ci_lower"].astype(float)] if "ci_lower" in d else None
            hi_raw = np.r_[1.0, d["ci_upper"].astype(float)] if "ci_upper" in d else None
        else:
            lo_raw = d["ci_lower"].astype(float).to_numpy() if "ci_lower" in d else None
            hi_raw = d["ci_upper"].astype(float).to_numpy() if "ci_upper" in d else None
        ax.step(t, s, where="post", color=st["color"], linewidth=1.6, label=g)
        if lo_raw is not None and hi_raw is not None:
            ax.fill_between(t, lo_raw, hi_raw, step="post", color=st["color"], alpha=0.12, linewidth=0)
        if "censored" in d.columns:
            c = d[d["censored"].astype(bool)]
            ax.plot(c["time"].astype(float), c["survival"].astype(float), linestyle="none",
                    marker="|", markersize=9, markeredgewidth=1.4, color=st["color"])
    ax.set_ylim(-0.02, 1.04)
    ax.set_ylabel(ylabel)
    ax.grid(color="0.92")
    ax.plot([], [], linestyle="none", marker="|", markersize=9, markeredgewidth=1.4, color="0.3", label="censored")
    ax.legend(loc="best", frameon=False)
    if risk is None:
        ax.set_xlabel(xlabel)
        return fig
    times = np.sort(pd.unique(risk["time"].astype(float)))
    ax.set_xticks(times)
    ax.set_xticklabels([f"{t:g}" for t in times])
    ax.set_xlabel(xlabel)
    _at_risk_table(fig.add_subplot(grid[1], sharex=ax), risk, groups)
    return fig


def _at_risk_table(table_ax, risk: pd.DataFrame, groups: list[str]) -> None:
    """Numbers at risk per group and time, under a KM plot (shared time axis)."""
    table_ax.set_ylim(-0.5, len(groups) - 0.5)
    table_ax.invert_yaxis()
    for i, g in enumerate(groups):
        d = risk[risk["group"] == g]
        for _, r in d.iterrows():
            table_ax.text(float(r["time"]), i, f"{int(r['n_at_risk'])}", ha="center", va="center",
                          fontsize=8.5, color=_style(i)["color"])
    table_ax.set_yticks(range(len(groups)))
    table_ax.set_yticklabels(groups, fontsize=8.5)
    table_ax.tick_params(axis="x", labelbottom=False, length=0)
    table_ax.tick_params(axis="y", length=0)
    for spine in table_ax.spines.values():
        spine.set_visible(False)
    table_ax.set_title("Number at risk", fontsize=9, loc="left")


@styled
def plot_forest(subgroups: pd.DataFrame, *, xlabel: str, level: float = 0.95) -> Figure:
    """Forest plot: difference with CI (at ``level``) per subgroup level, 'Overall' first, n and values at the
    right."""
    check_figure_frame(subgroups, "subgroups")
    d = subgroups.copy()
    overall = d["subgroup"].astype(str).str.lower() == "overall"
    d = pd.concat([d[overall], d[~overall]], ignore_index=True)
    n = len(d)
    fig, ax = _subplots(figsize=(7.5, 1.4 + 0.32 * n), layout="constrained")
    y = np.arange(n)[::-1]
    est = d["estimate"].astype(float).to_numpy()
    lo, hi = d["ci_lower"].astype(float).to_numpy(), d["ci_upper"].astype(float).to_numpy()
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="s", color=OKABE_ITO[0], capsize=3, markersize=5)
    ax.axvline(0.0, color="0.4", linewidth=0.9, linestyle="--")
    labels = [(str(s) if str(s).lower() == "overall" else f"{s}: {lv}") for s, lv in zip(d["subgroup"], d["level"])]
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color="0.92")
    right = [fmt_estimate_ci(e, a, b, 2) + (f"  n={int(k)}" if "n" in d.columns and pd.notna(k) else "")
             for e, a, b, k in zip(est, lo, hi, d["n"] if "n" in d.columns else [None] * n)]
    for yy, text in zip(y, right):
        ax.annotate(text, xy=(1.02, yy), xycoords=("axes fraction", "data"), va="center", fontsize=8.5)
    ax.annotate(f"Estimate ({ci_header(level)})", xy=(1.02, n - 0.4), xycoords=("axes fraction", "data"),
                va="bottom", fontsize=8.5, weight="bold")
    return fig


@styled
def plot_swimmer(episodes: pd.DataFrame, *, xlabel: str, pooled: bool = False) -> Figure:
    """Swimmer plot: one bar per response episode, subjects sorted by arm; x = lost, > = ongoing."""
    check_figure_frame(episodes, "episodes")
    d, groups = _with_groups(episodes, pooled)
    d["_len"] = d["end"].astype(float) - d["start"].astype(float)
    totals = d.groupby("subject")["_len"].sum()
    order = (d.drop_duplicates("subject")[["subject", "group"]]
             .assign(_g=lambda f: f["group"].map({g: i for i, g in enumerate(groups)}),
                     _t=lambda f: f["subject"].map(totals))
             .sort_values(["_g", "_t"], ascending=[True, False])["subject"].tolist())
    pos = {s: i for i, s in enumerate(order)}
    n = len(order)
    fig, ax = _subplots(figsize=(7.5, min(9.0, 1.5 + 0.17 * n)), layout="constrained")
    for i, g in enumerate(groups):
        sub = d[d["group"] == g]
        st = _style(i)
        ax.barh([pos[s] for s in sub["subject"]], sub["_len"], left=sub["start"].astype(float),
                height=0.6, color=st["color"], label=g)
        if "event" in sub.columns:
            ev = sub[sub["event"].astype(bool)]
            ax.plot(ev["end"].astype(float), [pos[s] for s in ev["subject"]], "x", color="black",
                    markersize=5)
        if "ongoing" in sub.columns:
            on = sub[sub["ongoing"].astype(bool)]
            ax.plot(on["end"].astype(float), [pos[s] for s in on["subject"]], ">", color="black",
                    markersize=4)
    ax.plot([], [], "x", color="black", label="response lost")
    ax.plot([], [], ">", color="black", label="ongoing at last assessment")
    ax.set_yticks(range(n))
    ax.set_yticklabels(order if n <= 60 else [""] * n, fontsize=6.5 if n > 30 else 8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Subject")
    ax.grid(axis="x", color="0.92")
    fig.legend(loc="outside lower center", ncols=min(4, len(groups) + 2), frameon=False)
    return fig


@styled
def plot_spaghetti(trajectories: pd.DataFrame, *, ylabel: str, xlabel: str = "Visit (study week)",
                   pooled: bool = False) -> Figure:
    """Individual trajectories, one panel per arm (shared y axis)."""
    check_figure_frame(trajectories, "trajectories")
    d, groups = _with_groups(trajectories, pooled)
    k = len(groups)
    ncols = min(k, 3)
    nrows = int(np.ceil(k / ncols))
    fig, axes = _subplots(nrows, ncols, figsize=(7.5, 3.2 * nrows + 0.5), sharey=True,
                             squeeze=False, layout="constrained")
    for i, g in enumerate(groups):
        ax = axes[i // ncols][i % ncols]
        sub = d[d["group"] == g]
        for _, s in sub.groupby("subject", sort=False):
            s = s.sort_values("visit")
            ax.plot(s["visit"].astype(float), s["value"].astype(float), color=_style(i)["color"],
                    alpha=0.55, linewidth=0.9, marker=".", markersize=3)
        ax.set_title(f"{g} (n={sub['subject'].nunique()})")
        _visit_axis(ax, d)
        ax.tick_params(axis="x", labelrotation=45 if len(pd.unique(d["visit"])) > 5 else 0)
        ax.set_xlabel(xlabel)
        ax.grid(color="0.93")
    for j in range(k, nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    axes[0][0].set_ylabel(ylabel)
    return fig


@styled
def save_figure(fig: Figure, stem: Path, *, svg: bool = True) -> list[Path]:
    """Write ``stem``.png (200 dpi) and optionally ``stem``.svg; return the paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.parent / f"{stem.name}.png"]  # not with_suffix: ids contain dots
    fig.savefig(paths[0], dpi=200, metadata={"Software": None})
    if svg:
        paths.append(stem.parent / f"{stem.name}.svg")
        fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    return paths


def build_figure(kind: str, data: Mapping[str, pd.DataFrame], *, value_label: str, time_label: str,
                 pooled: bool, level: float = 0.95) -> Figure:
    """Dispatch on the catalogue's figure type; ``data`` is a result's ``frames``; ``level`` its CI level."""
    missing = [k for k in FIGURE_KEYS[kind] if k not in data and k != "at_risk"]
    if missing:
        raise KeyError(", ".join(missing))
    builders = {
        "mean_change": lambda: plot_mean_change(data["lsmeans"], ylabel=value_label, pooled=pooled),
        "response_rates": lambda: plot_response_rates(data["rates"], ylabel=value_label, pooled=pooled),
        "km": lambda: plot_km(data["km_curve"], data.get("at_risk"), xlabel=time_label, ylabel=value_label,
                              pooled=pooled),
        "forest": lambda: plot_forest(data["subgroups"], xlabel=value_label, level=level),
        "swimmer": lambda: plot_swimmer(data["episodes"], xlabel=time_label, pooled=pooled),
        "spaghetti": lambda: plot_spaghetti(data["trajectories"], ylabel=value_label, pooled=pooled),
    }
    if kind not in builders:
        raise ValueError(f"unknown figure type {kind!r}; known: {', '.join(FIGURE_KEYS)}")
    return builders[kind]()


def figure_kinds() -> Sequence[str]:
    """Figure types the builders support."""
    return tuple(FIGURE_KEYS)
