"""Importing and using reports.figures leaves matplotlib's backend and global rcParams alone (issue 16: importing it
switched the backend to Agg and changed the global style, which broke plots in a notebook)."""
from __future__ import annotations

import subprocess
import sys

CODE = r"""
import matplotlib
before_backend = matplotlib.get_backend()
before = dict(matplotlib.rcParams)
import pandas as pd
import reports.figures as f
rates = pd.DataFrame({"group": ["A", "A"], "visit": [4.0, 8.0], "estimate": [0.4, 0.5],
                      "ci_lower": [0.2, 0.3], "ci_upper": [0.6, 0.7], "n": [10, 10]})
fig = f.plot_response_rates(rates, ylabel="Responders (%)")
import tempfile, pathlib
paths = f.save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "F1.2")
assert all(p.stat().st_size > 0 for p in paths), paths
assert fig.axes[0].xaxis.label.get_fontsize() == f.STYLE["axes.labelsize"]   # the style was applied
after = dict(matplotlib.rcParams)
changed = sorted(k for k in before if before[k] != after[k] and k != "backend")
assert not changed, changed
assert matplotlib.get_backend() == before_backend, (before_backend, matplotlib.get_backend())
print("ok")
"""


def test_figures_change_no_global_matplotlib_state():
    env = {"MPLBACKEND": "svg"}   # a backend other than Agg, as a notebook might have
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, **env})
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
