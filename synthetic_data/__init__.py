"""Synthetic trial data driven by a plan: ``generate(plan_id, seed=..., n=None, blinded=False)``.

``python -m synthetic_data --plan ID --seed N [--n N] [--blinded] --out DIR`` writes the datasets as
CSV. Frozen datasets for every plan live in ``synthetic_data/frozen/<plan>/`` with SHA256SUMS.
"""
from .generator import generate
from .io import FROZEN_DIR, frozen_dir, write_datasets

__all__ = ["generate", "write_datasets", "frozen_dir", "FROZEN_DIR"]
