"""ANCOVA unit tests: LS means by hand (numpy least squares), weights, input checks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analyses.ancova import fit_ancova


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    n = 90
    d = pd.DataFrame({"trt": rng.choice(["A", "B", "C"], n), "site": rng.choice(["s1", "s2", "s3", "s4"], n),
                      "base": rng.normal(10, 2, n)})
    d["y"] = (d.trt.map({"A": 0, "B": 1, "C": 2}) + d.site.map({"s1": 0, "s2": 1, "s3": -1, "s4": 3})
              + 0.5 * d.base + rng.normal(0, 1, n))
    d["dose"] = d.trt.map({"A": 0.0, "B": 54.0, "C": 81.0})
    return d


def test_lsmeans_and_differences_by_hand(data):
    res = fit_ancova(data, response="y", group="trt", covariates=("site", "base"), reference="A", dose="dose")
    # hand-built treatment-coded design
    x = np.column_stack([np.ones(len(data)), data.trt.eq("B"), data.trt.eq("C"), data.site.eq("s2"),
                         data.site.eq("s3"), data.site.eq("s4"), data.base]).astype(float)
    beta, *_ = np.linalg.lstsq(x, data.y.to_numpy(), rcond=None)
    resid = data.y.to_numpy() - x @ beta
    dfres = len(data) - x.shape[1]
    cov = (resid @ resid / dfres) * np.linalg.inv(x.T @ x)
    site_w = np.array([0.25, 0.25, 0.25])       # equal weights over 4 sites (3 dummies)
    for g, gvec in {"A": [0, 0], "B": [1, 0], "C": [0, 1]}.items():
        lvec = np.r_[1, gvec, site_w, data.base.mean()]
        row = res.lsmeans.set_index("group").loc[g]
        assert row.estimate == pytest.approx(lvec @ beta, rel=1e-10)
        assert row.se == pytest.approx(np.sqrt(lvec @ cov @ lvec), rel=1e-10)
    lvec = np.array([0, 0, 1, 0, 0, 0, 0.0])
    c = res.contrasts.set_index("group").loc["C"]
    se = np.sqrt(lvec @ cov @ lvec)
    assert c.estimate == pytest.approx(beta[2], rel=1e-10) and c.se == pytest.approx(se, rel=1e-10)
    assert c.p_value == pytest.approx(2 * stats.t.sf(abs(beta[2] / se), dfres), rel=1e-8)
    assert c.ci_upper - c.estimate == pytest.approx(stats.t.ppf(0.975, dfres) * se, rel=1e-10)
    # dose-response: slope of dose in y ~ dose + site + base
    xd = np.column_stack([np.ones(len(data)), data.dose, x[:, 3:]])
    bd, *_ = np.linalg.lstsq(xd, data.y.to_numpy(), rcond=None)
    assert res.dose_response["estimate"] == pytest.approx(bd[1], rel=1e-9)


def test_proportional_weights_use_observed_site_shares(data):
    eq = fit_ancova(data, response="y", group="trt", covariates=("site",))
    pr = fit_ancova(data, response="y", group="trt", covariates=("site",), weights="proportional")
    coefs = eq.model.params.to_numpy()[3:6]      # site s2..s4
    share = data.site.value_counts(normalize=True)[["s2", "s3", "s4"]].to_numpy()
    shift = coefs @ (share - 0.25)
    np.testing.assert_allclose(pr.lsmeans.estimate - eq.lsmeans.estimate, shift, rtol=1e-9)
    np.testing.assert_allclose(pr.contrasts.estimate, eq.contrasts.estimate, rtol=1e-9)


def test_missing_response_excluded_and_counted_bad_input_raises(data):
    d = data.copy()
    d.loc[[0, 1], "y"] = np.nan
    res = fit_ancova(d, response="y", group="trt", covariates=("base",))
    assert res.n_obs == len(d) - 2 and res.n_rows_input == len(d)
    d.loc[5, "base"] = np.nan
    with pytest.raises(ValueError, match="'base'.*rows 5"):
        fit_ancova(d, response="y", group="trt", covariates=("base",))
    with pytest.raises(ValueError, match="reference"):
        fit_ancova(data, response="y", group="trt", reference="Z")
    with pytest.raises(ValueError, match="not constant"):
        fit_ancova(data.assign(dose=np.arange(len(data), dtype=float)), response="y", group="trt", dose="dose")


def test_column_names_and_levels_are_data_not_code(data, tmp_path):
    # a column name that would break out of Q("...") in a formula string, and a quoting level value:
    # the design is built from the columns, so nothing is evaluated and the fit equals the plainly named one
    marker = tmp_path / "pwned"
    evil = f'y") + __import__("pathlib").Path(r"{marker}").touch() + Q("y'
    d = data.rename(columns={"y": evil, "site": 'site"]'}).assign(trt=data.trt.map(lambda v: f"{v}')"))
    res = fit_ancova(d, response=evil, group="trt", covariates=('site"]', "base"), reference="A')")
    plain = fit_ancova(data, response="y", group="trt", covariates=("site", "base"), reference="A")
    assert not marker.exists()
    np.testing.assert_allclose(res.lsmeans.estimate, plain.lsmeans.estimate, rtol=1e-12)
    np.testing.assert_allclose(res.contrasts.se, plain.contrasts.se, rtol=1e-12)
