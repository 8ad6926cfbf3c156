"""Bath indices and spinal pain for ankylosing spondylitis (element-wise on arrays).

Hand-written: no Python/R library implements these indices (in SAS/R they are DATA-step /
``dplyr::mutate`` arithmetic).  References: BASDAI Garrett 1994 (J Rheumatol 21:2286);
BASFI Calin 1994 (J Rheumatol 21:2281); BASMI-linear van der Heijde, Landewe & Feldtkeller,
ARD 2008;67:489, Table 3 (= ASAS handbook, Sieper 2009, Table 9); BASMI2 Jenkinson 1994
(ASAS handbook Table 7).  Missing components give a missing score, except for BASFI, whose
prespecified rule averages the answered items when at most ``max_missing`` are missing.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._arrays import as_float, check_range, check_scale, ge, gt, le, lt


def _out(arr: np.ndarray) -> np.ndarray | float:
    return float(arr) if np.ndim(arr) == 0 else arr


def compute_basdai(q1: Any, q2: Any, q3: Any, q4: Any, q5: Any, q6: Any, *, scale: float = 10):
    """BASDAI = (Q1 + Q2 + Q3 + Q4 + (Q5 + Q6)/2) / 5, on the items' scale (0-10 or 0-100).

    Q6 (duration of morning stiffness) must already be mapped onto the item scale
    (0-2+ h -> 0-10).  Any missing item -> missing BASDAI (no prespecified imputation).
    """
    s = check_scale(scale)
    qs = [as_float(f"BASDAI Q{i}", q) for i, q in enumerate((q1, q2, q3, q4, q5, q6), start=1)]
    for i, q in enumerate(qs, start=1):
        check_range(f"BASDAI Q{i}", q, 0, s)
    q1, q2, q3, q4, q5, q6 = np.broadcast_arrays(*qs)
    return _out((q1 + q2 + q3 + q4 + (q5 + q6) / 2.0) / 5.0)


def compute_basfi(items: Any, *, max_missing: int = 2, scale: float = 10):
    """BASFI = mean of the 10 items (Calin 1994); ``items`` has shape (n, 10) or (10,).

    Prespecified missing-item rule: the mean of the answered items when at most
    ``max_missing`` (default 2) of the 10 are missing, otherwise missing.
    """
    s = check_scale(scale)
    arr = as_float("BASFI items", items)
    single = arr.ndim == 1
    arr = np.atleast_2d(arr)
    if arr.shape[1] != 10:
        raise ValueError(f"BASFI items: expected 10 columns, got shape {arr.shape}")
    if not 0 <= int(max_missing) <= 9:
        raise ValueError(f"max_missing must be in 0..9, got {max_missing}")
    check_range("BASFI items", arr, 0, s)
    n_missing = np.isnan(arr).sum(axis=1)
    answered = np.where(np.isnan(arr), 0.0, arr).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = answered / (10 - n_missing)
    out = np.where(n_missing <= max_missing, mean, np.nan)
    return float(out[0]) if single else out


def compute_side_mean(left: Any, right: Any, *, name: str = "measurement"):
    """Mean of left and right measurements (missing if either side is missing)."""
    lft, rgt = as_float(f"{name} left", left), as_float(f"{name} right", right)
    check_range(f"{name} left", lft, 0, None)
    check_range(f"{name} right", rgt, 0, None)
    return _out((lft + rgt) / 2.0)


# (name, S=0 bound, linear score function) per van der Heijde 2008 Table 3.
_BASMI_LINEAR = {
    "tragus_to_wall": lambda a: (a - 8.0) / 3.0,
    "lateral_flexion": lambda a: (21.1 - a) / 2.1,
    "schober": lambda a: (7.4 - a) / 0.7,
    "intermalleolar": lambda a: (124.5 - a) / 10.0,
    "cervical_rotation": lambda a: (89.3 - a) / 8.5,
}


def _mobility_inputs(tragus_to_wall, lateral_flexion, schober, intermalleolar, cervical_rotation):
    raw = dict(tragus_to_wall=tragus_to_wall, lateral_flexion=lateral_flexion, schober=schober,
               intermalleolar=intermalleolar, cervical_rotation=cervical_rotation)
    arrs = {k: as_float(k, v) for k, v in raw.items()}
    for k, v in arrs.items():
        check_range(k, v, 0, None)
    return dict(zip(arrs, np.broadcast_arrays(*arrs.values())))


def compute_basmi_linear_components(tragus_to_wall: Any, lateral_flexion: Any, schober: Any,
                                    intermalleolar: Any, cervical_rotation: Any) -> dict[str, Any]:
    """The five BASMI-linear component scores, each clamped to [0, 10].

    Tragus-to-wall (cm), lateral lumbar flexion (cm) and cervical rotation (degrees) are the
    means of left and right (use :func:`compute_side_mean`); Schober and intermalleolar in cm.
    """
    arrs = _mobility_inputs(tragus_to_wall, lateral_flexion, schober, intermalleolar, cervical_rotation)
    return {k: _out(np.clip(_BASMI_LINEAR[k](v), 0.0, 10.0)) for k, v in arrs.items()}


def compute_basmi_linear(tragus_to_wall: Any, lateral_flexion: Any, schober: Any,
                         intermalleolar: Any, cervical_rotation: Any):
    """BASMI-linear = mean of the 5 clamped component scores (0-10); missing if any is missing."""
    comps = compute_basmi_linear_components(tragus_to_wall, lateral_flexion, schober,
                                            intermalleolar, cervical_rotation)
    stacked = np.stack([np.asarray(v, dtype=float) for v in comps.values()])
    return _out(stacked.mean(axis=0))


def _three_band(a: np.ndarray, low_good: bool, cut_a: float, cut_b: float) -> np.ndarray:
    """0/1/2 score. low_good: a < cut_a -> 0, cut_a..cut_b -> 1, > cut_b -> 2 (bounds inclusive in the middle band).
    Otherwise (high is good): a > cut_b -> 0, cut_a..cut_b -> 1, a < cut_a -> 2."""
    if low_good:
        score = np.where(lt(a, cut_a), 0.0, np.where(gt(a, cut_b), 2.0, 1.0))
    else:
        score = np.where(gt(a, cut_b), 0.0, np.where(lt(a, cut_a), 2.0, 1.0))
    return np.where(np.isnan(a), np.nan, score)


def compute_basmi2(tragus_to_wall: Any, lateral_flexion: Any, schober: Any,
                   intermalleolar: Any, cervical_rotation: Any):
    """BASMI2 (Jenkinson 1994; ASAS handbook Table 7): sum of five 0/1/2 scores (0-10).

    Bands (middle band inclusive): lateral flexion >10 / 5-10 / <5 cm; tragus-to-wall
    <15 / 15-30 / >30 cm; Schober >4 / 2-4 / <2 cm; intermalleolar >100 / 70-100 / <70 cm;
    cervical rotation >70 / 20-70 / <20 degrees.
    """
    a = _mobility_inputs(tragus_to_wall, lateral_flexion, schober, intermalleolar, cervical_rotation)
    total = (_three_band(a["tragus_to_wall"], True, 15.0, 30.0)
             + _three_band(a["lateral_flexion"], False, 5.0, 10.0)
             + _three_band(a["schober"], False, 2.0, 4.0)
             + _three_band(a["intermalleolar"], False, 70.0, 100.0)
             + _three_band(a["cervical_rotation"], False, 20.0, 70.0))
    return _out(total)


def compute_spinal_pain(total_back_pain: Any, nocturnal_back_pain: Any, *, scale: float = 100):
    """Spinal pain = mean of total and nocturnal back pain, on the input scale (ASAS handbook)."""
    s = check_scale(scale)
    t, n = as_float("total back pain", total_back_pain), as_float("nocturnal back pain", nocturnal_back_pain)
    check_range("total back pain", t, 0, s)
    check_range("nocturnal back pain", n, 0, s)
    return _out((t + n) / 2.0)


__all__: Sequence[str] = [
    "compute_basdai", "compute_basfi", "compute_side_mean", "compute_basmi_linear_components",
    "compute_basmi_linear", "compute_basmi2", "compute_spinal_pain",
]
