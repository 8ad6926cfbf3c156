"""3+3 operating characteristics: exact enumeration vs published values, an independent
subject-level brute force, closed forms, and the Monte-Carlo simulation of the same engine."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from analyses.escalation import (compute_escalation_probability, simulate_three_plus_three,
                                 summarize_three_plus_three_oc, three_plus_three_oc)

# Source: /work/shared/reference/as_endpoints.md section 4 ("P(escalate) by true DLT rate",
# computed exactly from Storer 1989 / Lin & Shih 2001); printed to 4 decimals -> tolerance 5e-5.
P_GRID = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.60, 0.70, 0.80, 0.90)
P_ESCALATE = (.9734, .9061, .8138, .7086, .5999, .4943, .3965, .3093, .2343, .1719, .0824,
              .0321, .0088, .0010)
# Source: same section, "Three-dose test vectors": P(MTD = 0,1,2,3), E[N], E[#DLT].
VECTORS = [
    ((0.10, 0.20, 0.30), (.0939, .2640, .3247, .3174), 10.2671, 1.9581),
    ((0.05, 0.10, 0.20), (.0266, .0914, .2570, .6251), 10.6985, 1.2658),
    ((0.20, 0.30, 0.50), (.2914, .3584, .2900, .0602), 8.6600, 2.4718),
]
TOL4 = 5e-5  # half a unit in the 4th decimal


@pytest.mark.parametrize("p, expected", list(zip(P_GRID, P_ESCALATE)))
def test_p_escalate_table(p, expected):
    assert compute_escalation_probability(p) == pytest.approx(expected, abs=TOL4)
    oc = three_plus_three_oc([p])  # one dose: P(escalate) = P(all doses cleared)
    assert oc["p_escalate"][0] == pytest.approx(expected, abs=TOL4)
    assert oc["p_mtd"][1] == pytest.approx(expected, abs=TOL4)


@pytest.mark.parametrize("probs, p_mtd, en, edlt", VECTORS)
def test_three_dose_vectors(probs, p_mtd, en, edlt):
    oc = three_plus_three_oc(probs)
    assert oc["p_mtd"] == pytest.approx(p_mtd, abs=TOL4)
    assert oc["expected_n"] == pytest.approx(en, abs=TOL4)
    assert oc["expected_dlts"] == pytest.approx(edlt, abs=TOL4)
    assert sum(oc["p_mtd"]) == pytest.approx(1.0, abs=1e-12)
    assert oc["p_escalate"] == pytest.approx([compute_escalation_probability(p) for p in probs],
                                             abs=1e-12)


def _closed_form_seed(probs):
    """Storer's recursion (the formulas quoted in as_endpoints.md section 4)."""
    r, p_mtd, en = 1.0, [], 0.0
    for p in probs:
        q = 1 - p
        a = compute_escalation_probability(p)
        en += r * 3 * (1 + 3 * p * q ** 2)
        p_mtd.append(r * (1 - a))
        r *= a
    return p_mtd + [r], en


@pytest.mark.parametrize("probs", [(0.3,), (0.01, 0.5, 0.99, 0.2), (0.15, 0.25, 0.35, 0.45, 0.55)])
def test_seed_matches_storer_recursion(probs):
    p_mtd, en = _closed_form_seed(probs)
    oc = three_plus_three_oc(probs)
    assert oc["p_mtd"] == pytest.approx(p_mtd, abs=1e-12)
    assert oc["expected_n"] == pytest.approx(en, abs=1e-12)


def _brute_force(probs, needs_six, deesc):
    """Independent subject-level enumeration of the rule as written in the SAP text: every
    2^3 DLT pattern of every cohort, recursion over (dose, subjects, DLTs); no shared code."""
    k = len(probs)
    out = {"p_mtd": [0.0] * (k + 1), "en": 0.0, "edlt": 0.0}

    def patterns(p):
        for pat in itertools.product((0, 1), repeat=3):
            yield sum(pat), math.prod(p if x else 1 - p for x in pat)

    def finish(w, n, x, idx):
        out["p_mtd"][idx] += w
        out["en"] += w * sum(n)
        out["edlt"] += w * sum(x)

    def toxic_at(w, n, x, d, confirming):
        c = d - 1
        if c < 0:
            return finish(w, n, x, 0)
        if not needs_six or n[c] == 6:
            return finish(w, n, x, c + 1)
        if confirming and not deesc:
            return finish(w, n, x, c + 1)
        confirm(w, n, x, c)

    def confirm(w, n, x, c):  # treat 3 more at candidate MTD level c (has 3, 0 DLT)
        for s, pw in patterns(probs[c]):
            n2, x2 = n.copy(), x.copy()
            n2[c] += 3
            x2[c] += s
            if x2[c] <= 1:
                finish(w * pw, n2, x2, k if c == k - 1 and top_confirm[0] else c + 1)
            else:
                toxic_at(w * pw, n2, x2, c, True)

    top_confirm = [False]

    def treat(w, n, x, d):
        for s, pw in patterns(probs[d]):
            n2, x2 = n.copy(), x.copy()
            n2[d] += 3
            x2[d] += s
            if n2[d] == 3 and x2[d] == 1:
                treat(w * pw, n2, x2, d)
            elif x2[d] == 0 or (n2[d] == 6 and x2[d] <= 1):
                if d + 1 < k:
                    treat(w * pw, n2, x2, d + 1)
                elif needs_six and n2[d] == 3:
                    top_confirm[0] = True
                    confirm(w * pw, n2, x2, d)
                    top_confirm[0] = False
                else:
                    finish(w * pw, n2, x2, k)
            else:
                toxic_at(w * pw, n2, x2, d, False)

    treat(1.0, [0] * k, [0] * k, 0)
    return out


@pytest.mark.parametrize("needs_six, deesc", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("probs", [(0.10, 0.20, 0.30), (0.2, 0.3, 0.5, 0.6), (0.4,), (0.05, 0.6)])
def test_variants_match_independent_brute_force(probs, needs_six, deesc):
    bf = _brute_force(probs, needs_six, deesc)
    oc = three_plus_three_oc(probs, mtd_needs_six=needs_six, allow_deescalation=deesc)
    assert oc["p_mtd"] == pytest.approx(bf["p_mtd"], abs=1e-10)  # float round-off only
    assert oc["expected_n"] == pytest.approx(bf["en"], abs=1e-10)
    assert oc["expected_dlts"] == pytest.approx(bf["edlt"], abs=1e-10)


def test_needs_six_closed_form_two_doses():
    """Hand-derived: 2 doses, MTD needs 6, no de-escalation.
    P(no dose) = 1 - a1 + P(dose1 0/3) * P(dose2 fails) * P(>=2 of next 3 at dose 1)."""
    p1, p2 = 0.1, 0.4
    q1 = 1 - p1
    a1, a2 = compute_escalation_probability(p1), compute_escalation_probability(p2)
    zero3 = q1 ** 3
    le1_of3 = q1 ** 3 + 3 * p1 * q1 ** 2
    p_none = (1 - a1) + zero3 * (1 - a2) * (1 - le1_of3)
    oc = three_plus_three_oc((p1, p2), mtd_needs_six=True)
    assert oc["p_mtd"][0] == pytest.approx(p_none, abs=1e-12)


# Monte-Carlo: same engine, fixed seed; agreement within 4 Monte-Carlo standard errors.
@pytest.mark.parametrize("needs_six, deesc", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("probs", [v[0] for v in VECTORS])
def test_monte_carlo_agrees_with_exact(probs, needs_six, deesc):
    exact = three_plus_three_oc(probs, mtd_needs_six=needs_six, allow_deescalation=deesc)
    mc = simulate_three_plus_three(probs, 8000, seed=20240611, mtd_needs_six=needs_six,
                                   allow_deescalation=deesc)
    for e, m, se in zip(exact["p_mtd"], mc["p_mtd"], mc["p_mtd_se"]):
        assert abs(e - m) <= 4 * max(se, 1e-3)
    assert abs(exact["expected_n"] - mc["expected_n"]) <= 4 * mc["expected_n_se"]
    assert abs(exact["expected_dlts"] - mc["expected_dlts"]) <= 4 * mc["expected_dlts_se"]
    for e, m, se in zip(exact["p_escalate"], mc["p_escalate"], mc["p_escalate_se"]):
        assert abs(e - m) <= 4 * max(se, 1e-3)


def test_monte_carlo_is_reproducible_and_validates_input():
    a = simulate_three_plus_three((0.1, 0.3), 500, seed=7)
    b = simulate_three_plus_three((0.1, 0.3), 500, seed=7)
    assert a == b
    with pytest.raises(ValueError, match="dlt_probs"):
        three_plus_three_oc([0.1, 1.2])
    with pytest.raises(ValueError, match="n_sim"):
        simulate_three_plus_three([0.1], 1, seed=1)


def test_oc_tidy_rows():
    oc = three_plus_three_oc(VECTORS[0][0])
    t = summarize_three_plus_three_oc(oc, dose_levels=("0.5", "1", "2"))
    pm = t[t["label"].str.startswith("P(MTD") | t["label"].str.startswith("P(all")]
    assert pm["estimate"].tolist() == pytest.approx(VECTORS[0][1], abs=TOL4)
    en = t.loc[t["label"] == "E[total subjects]", "estimate"].item()
    assert en == pytest.approx(10.2671, abs=TOL4)
    assert np.all(t["se"].isna())
