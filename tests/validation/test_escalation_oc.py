"""3+3 operating characteristics: exact enumeration vs published values, an independent
subject-level brute force, closed forms, and the Monte-Carlo simulation of the same engine."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from analyses.escalation import ThreePlusThreeRule
from analyses.escalation_oc import (compute_escalation_probability, simulate_three_plus_three,
                                    summarize_three_plus_three_oc, three_plus_three_oc)


def rule(k, needs_six=False, deesc=False, cohort=3, expansion=3):
    """Every setting explicit; the published values are for Storer's rule (the MTD does not need 6)."""
    return ThreePlusThreeRule(k, cohort_size=cohort, expansion_size=expansion, mtd_needs_six=needs_six,
                              allow_deescalation=deesc)


def p_escalate_33(p):
    return compute_escalation_probability(p, 3, 3)

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
    assert p_escalate_33(p) == pytest.approx(expected, abs=TOL4)
    oc = three_plus_three_oc([p], rule(1))  # one dose: P(escalate) = P(all doses cleared)
    assert oc["p_escalate"][0] == pytest.approx(expected, abs=TOL4)
    assert oc["p_mtd"][1] == pytest.approx(expected, abs=TOL4)


@pytest.mark.parametrize("probs, p_mtd, en, edlt", VECTORS)
def test_three_dose_vectors(probs, p_mtd, en, edlt):
    oc = three_plus_three_oc(probs, rule(len(probs)))
    assert oc["p_mtd"] == pytest.approx(p_mtd, abs=TOL4)
    assert oc["expected_n"] == pytest.approx(en, abs=TOL4)
    assert oc["expected_dlts"] == pytest.approx(edlt, abs=TOL4)
    assert sum(oc["p_mtd"]) == pytest.approx(1.0, abs=1e-12)
    assert oc["p_escalate"] == pytest.approx([p_escalate_33(p) for p in probs],
                                             abs=1e-12)


def _closed_form_seed(probs):
    """Storer's recursion (the formulas quoted in as_endpoints.md section 4)."""
    r, p_mtd, en = 1.0, [], 0.0
    for p in probs:
        q = 1 - p
        a = p_escalate_33(p)
        en += r * 3 * (1 + 3 * p * q ** 2)
        p_mtd.append(r * (1 - a))
        r *= a
    return p_mtd + [r], en


@pytest.mark.parametrize("probs", [(0.3,), (0.01, 0.5, 0.99, 0.2), (0.15, 0.25, 0.35, 0.45, 0.55)])
def test_seed_matches_storer_recursion(probs):
    p_mtd, en = _closed_form_seed(probs)
    oc = three_plus_three_oc(probs, rule(len(probs)))
    assert oc["p_mtd"] == pytest.approx(p_mtd, abs=1e-12)
    assert oc["expected_n"] == pytest.approx(en, abs=1e-12)


def _brute_force(probs, needs_six, deesc, a=3, b=3):
    """Independent subject-level enumeration of the rule as written in the SAP text (cohorts of a, expansions
    of b; 3+3: a = b = 3): every 2^size DLT pattern of every cohort, recursion over (dose, subjects, DLTs);
    no shared code."""
    k = len(probs)
    full = a + b
    out = {"p_mtd": [0.0] * (k + 1), "en": 0.0, "edlt": 0.0}

    def patterns(p, size):
        for pat in itertools.product((0, 1), repeat=size):
            yield sum(pat), math.prod(p if x else 1 - p for x in pat)

    def finish(w, n, x, idx):
        out["p_mtd"][idx] += w
        out["en"] += w * sum(n)
        out["edlt"] += w * sum(x)

    def toxic_at(w, n, x, d, confirming):
        c = d - 1
        if c < 0:
            return finish(w, n, x, 0)
        if not needs_six or n[c] == full:
            return finish(w, n, x, c + 1)
        if confirming and not deesc:
            return finish(w, n, x, c + 1)
        confirm(w, n, x, c)

    def confirm(w, n, x, c):  # treat b more at candidate MTD level c (has a, 0 DLT)
        for s, pw in patterns(probs[c], b):
            n2, x2 = n.copy(), x.copy()
            n2[c] += b
            x2[c] += s
            if x2[c] <= 1:
                finish(w * pw, n2, x2, k if c == k - 1 and top_confirm[0] else c + 1)
            else:
                toxic_at(w * pw, n2, x2, c, True)

    top_confirm = [False]

    def treat(w, n, x, d):
        size = a if n[d] == 0 else b
        for s, pw in patterns(probs[d], size):
            n2, x2 = n.copy(), x.copy()
            n2[d] += size
            x2[d] += s
            if n2[d] == a and x2[d] == 1:
                treat(w * pw, n2, x2, d)
            elif x2[d] == 0 or (n2[d] == full and x2[d] <= 1):
                if d + 1 < k:
                    treat(w * pw, n2, x2, d + 1)
                elif needs_six and n2[d] == a:
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
    oc = three_plus_three_oc(probs, rule(len(probs), needs_six, deesc))
    assert oc["p_mtd"] == pytest.approx(bf["p_mtd"], abs=1e-10)  # float round-off only
    assert oc["expected_n"] == pytest.approx(bf["en"], abs=1e-10)
    assert oc["expected_dlts"] == pytest.approx(bf["edlt"], abs=1e-10)


@pytest.mark.parametrize("a, b", [(4, 2), (2, 4), (3, 2)])
@pytest.mark.parametrize("needs_six, deesc", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("probs", [(0.10, 0.20, 0.30), (0.2, 0.45)])
def test_cohort_and_expansion_sizes_match_brute_force(probs, needs_six, deesc, a, b):
    """The plan's cohort_size / expansion_size (Lin & Shih 2001 A+B, C = D = E = 1) reach the enumeration."""
    bf = _brute_force(probs, needs_six, deesc, a, b)
    oc = three_plus_three_oc(probs, rule(len(probs), needs_six, deesc, cohort=a, expansion=b))
    assert oc["p_mtd"] == pytest.approx(bf["p_mtd"], abs=1e-10)
    assert oc["expected_n"] == pytest.approx(bf["en"], abs=1e-10)
    assert oc["expected_dlts"] == pytest.approx(bf["edlt"], abs=1e-10)


@pytest.mark.parametrize("a, b", [(4, 2), (2, 4)])
def test_cohort_sizes_match_storer_recursion(a, b):
    """Storer's recursion with A and B: P(escalate) = q^A + A p q^(A-1) q^B, E[N at a treated dose] =
    A + B A p q^(A-1) (Lin & Shih 2001, section 2; the MTD does not need A+B)."""
    probs = (0.1, 0.25, 0.4)
    r, p_mtd, en = 1.0, [], 0.0
    for p in probs:
        q = 1 - p
        esc = q ** a + a * p * q ** (a - 1) * q ** b
        assert compute_escalation_probability(p, a, b) == pytest.approx(esc, abs=1e-15)
        en += r * (a + b * a * p * q ** (a - 1))
        p_mtd.append(r * (1 - esc))
        r *= esc
    oc = three_plus_three_oc(probs, rule(3, cohort=a, expansion=b))
    assert oc["p_mtd"] == pytest.approx(p_mtd + [r], abs=1e-12)
    assert oc["expected_n"] == pytest.approx(en, abs=1e-12)


def test_needs_six_closed_form_two_doses():
    """Hand-derived: 2 doses, MTD needs 6, no de-escalation.
    P(no dose) = 1 - a1 + P(dose1 0/3) * P(dose2 fails) * P(>=2 of next 3 at dose 1)."""
    p1, p2 = 0.1, 0.4
    q1 = 1 - p1
    a1, a2 = p_escalate_33(p1), p_escalate_33(p2)
    zero3 = q1 ** 3
    le1_of3 = q1 ** 3 + 3 * p1 * q1 ** 2
    p_none = (1 - a1) + zero3 * (1 - a2) * (1 - le1_of3)
    oc = three_plus_three_oc((p1, p2), rule(2, needs_six=True))
    assert oc["p_mtd"][0] == pytest.approx(p_none, abs=1e-12)


# Monte-Carlo: same engine, fixed seed; agreement within 4 Monte-Carlo standard errors.
@pytest.mark.parametrize("needs_six, deesc", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("probs", [v[0] for v in VECTORS])
def test_monte_carlo_agrees_with_exact(probs, needs_six, deesc):
    exact = three_plus_three_oc(probs, rule(len(probs), needs_six, deesc))
    mc = simulate_three_plus_three(probs, 8000, 20240611, rule(len(probs), needs_six, deesc))
    for e, m, se in zip(exact["p_mtd"], mc["p_mtd"], mc["p_mtd_se"]):
        assert abs(e - m) <= 4 * max(se, 1e-3)
    assert abs(exact["expected_n"] - mc["expected_n"]) <= 4 * mc["expected_n_se"]
    assert abs(exact["expected_dlts"] - mc["expected_dlts"]) <= 4 * mc["expected_dlts_se"]
    for e, m, se in zip(exact["p_escalate"], mc["p_escalate"], mc["p_escalate_se"]):
        assert abs(e - m) <= 4 * max(se, 1e-3)


def test_monte_carlo_is_reproducible_and_validates_input():
    a = simulate_three_plus_three((0.1, 0.3), 500, 7, rule(2))
    b = simulate_three_plus_three((0.1, 0.3), 500, 7, rule(2))
    assert a == b
    with pytest.raises(ValueError, match="dlt_probs"):
        three_plus_three_oc([0.1, 1.2], rule(2))
    with pytest.raises(ValueError, match="n_sim"):
        simulate_three_plus_three([0.1], 1, 1, rule(1))
    with pytest.raises(ValueError, match="2 DLT probabilities for a rule of 3 doses"):
        three_plus_three_oc([0.1, 0.2], rule(3))


def test_oc_tidy_rows():
    oc = three_plus_three_oc(VECTORS[0][0], rule(3))
    t = summarize_three_plus_three_oc(oc, dose_levels=("0.5", "1", "2"))
    pm = t[t["label"].str.startswith("P(MTD") | t["label"].str.startswith("P(all")]
    assert pm["estimate"].tolist() == pytest.approx(VECTORS[0][1], abs=TOL4)
    en = t.loc[t["label"] == "E[total subjects]", "estimate"].item()
    assert en == pytest.approx(10.2671, abs=TOL4)
    assert np.all(t["se"].isna())
