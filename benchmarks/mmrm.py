"""MMRM speed and memory benchmark (a script, not a test).

    python benchmarks/mmrm.py [--reps 3] [--no-r] [--r-max-subjects 1000] [--sizes 1000 10000 100000]

Times analyses.mmrm.fit_mmrm (unstructured covariance, REML; Satterthwaite and Kenward-Roger df)
on fev_data (200 x 4), bcva_data (1,000 x 10) from ../shared/reference and on simulated data
(N subjects x 5 visits, ~10% missing at random), and its peak Python memory (tracemalloc, separate
run). If ``Rscript`` with nlme is available it also times nlme::gls(corSymm + varIdent, REML) on the
same data in the same run and prints the ratio (gls time / our time).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from analyses.mmrm import fit_mmrm  # noqa: E402

SHARED = REPO.parent / "shared" / "reference"

R_SCRIPT = r"""
suppressPackageStartupMessages(library(nlme))
args <- commandArgs(TRUE)
d <- read.csv(args[1], stringsAsFactors = TRUE)
d <- d[!is.na(d$y), ]
d$visit <- factor(d$visit, levels = sort(unique(as.character(d$visit))))
d$vis <- as.integer(d$visit)
d <- d[order(d$id, d$vis), ]
f <- as.formula(args[2])
t0 <- proc.time()[["elapsed"]]
fit <- gls(f, data = d, correlation = corSymm(form = ~ vis | id), weights = varIdent(form = ~ 1 | visit),
           method = "REML", control = glsControl(opt = "optim"))
el <- proc.time()[["elapsed"]] - t0
cat(sprintf("%.6f %.6f\n", el, -2 * as.numeric(logLik(fit))))
"""


def simulate(n_subjects: int, n_visits: int = 5, seed: int = 2024) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n_visits, n_visits))
    sigma = a @ a.T + n_visits * np.eye(n_visits)
    chol = np.linalg.cholesky(sigma)
    arm = np.where(np.arange(n_subjects) % 2 == 0, "PBO", "TRT")
    base = rng.normal(50, 8, n_subjects)
    err = rng.normal(size=(n_subjects, n_visits)) @ chol.T
    visits = np.arange(n_visits)
    mean = 1.0 + 0.8 * visits[None, :] + 0.5 * (arm == "TRT")[:, None] * visits[None, :] + 0.2 * base[:, None]
    y = mean + err
    y[rng.random(y.shape) < 0.1] = np.nan
    return pd.DataFrame({"id": np.repeat([f"S{i:06d}" for i in range(n_subjects)], n_visits),
                         "visit": np.tile([f"V{v + 1}" for v in visits], n_subjects),
                         "arm": np.repeat(arm, n_visits), "base": np.repeat(base, n_visits), "y": y.ravel()})


def cases():
    out = []
    fev = pd.read_csv(SHARED / "fev_data.csv")
    out.append(("fev_data 200x4", fev.rename(columns={"USUBJID": "id", "AVISIT": "visit", "ARMCD": "arm", "FEV1": "y"}),
                dict(covariates=("RACE", "SEX")), "y ~ RACE + SEX + arm * visit"))
    bcva = pd.read_csv(SHARED / "bcva_data.csv")
    out.append(("bcva_data 1000x10", bcva.rename(columns={"USUBJID": "id", "AVISIT": "visit", "ARMCD": "arm",
                                                          "BCVA_CHG": "y", "BCVA_BL": "base"}),
                dict(covariates=("RACE", "base")), "y ~ RACE + base + arm * visit"))
    return out


def time_fit(data, opts, df, reps):
    times = []
    fit = None
    for _ in range(reps):
        t0 = time.perf_counter()
        fit = fit_mmrm(data, response="y", subject="id", visit="visit", group="arm", covariance="us", df=df, **opts)
        fit.contrasts()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), fit


def peak_memory(data, opts):
    tracemalloc.start()
    fit_mmrm(data, response="y", subject="id", visit="visit", group="arm", covariance="us",
             df="satterthwaite", **opts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2 ** 20


def time_gls(data, formula):
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        script = Path(tmp) / "gls.R"
        data.to_csv(csv, index=False)
        script.write_text(R_SCRIPT)
        res = subprocess.run(["Rscript", str(script), str(csv), formula], capture_output=True, text=True)
        if res.returncode != 0:
            return ("error", res.stderr.strip().splitlines()[-1] if res.stderr else "failed")
        el, m2ll = res.stdout.split()
        return float(el), float(m2ll)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--r-max-subjects", type=int, default=1000)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    args = ap.parse_args(argv)
    all_cases = cases() + [(f"simulated {n}x5", simulate(n), dict(covariates=("base",)), "y ~ base + arm * visit")
                           for n in args.sizes]
    print(f"{'data':<22}{'subjects':>9}{'obs':>9}{'patterns':>9}{'fit_s(Satt)':>12}{'fit_s(KR)':>11}"
          f"{'peak_MiB':>10}{'gls_s':>9}{'gls/ours':>9}{'-2LL ours':>14}{'-2LL gls':>14}")
    for name, data, opts, formula in all_cases:
        t_sat, fit = time_fit(data, opts, "satterthwaite", args.reps)
        t_kr, _ = time_fit(data, opts, "kenward_roger", max(1, args.reps // 2))
        mem = peak_memory(data, opts)
        gls = None
        if not args.no_r and fit.n_subjects <= args.r_max_subjects:
            gls = time_gls(data[["id", "visit", "arm", "y"] + list(opts["covariates"])], formula)
        if isinstance(gls, tuple) and gls[0] == "error":
            gls_txt, ratio, m2 = "error", "", ""
            print(f"  gls failed: {gls[1]}", file=sys.stderr)
        elif gls:
            gls_txt, ratio, m2 = f"{gls[0]:.2f}", f"{gls[0] / t_sat:.0f}x", f"{gls[1]:.5f}"
        else:
            gls_txt, ratio, m2 = "-", "-", "-"
        print(f"{name:<22}{fit.n_subjects:>9}{fit.n_obs:>9}{len(fit.lik.patterns):>9}{t_sat:>12.3f}{t_kr:>11.3f}"
              f"{mem:>10.1f}{gls_txt:>9}{ratio:>9}{fit.minus2_loglik:>14.5f}{m2:>14}", flush=True)


if __name__ == "__main__":
    main()
