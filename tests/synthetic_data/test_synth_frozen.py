"""Frozen datasets: regenerated from the plan's seed, byte-identical; checksums match."""
from __future__ import annotations

import hashlib

import pytest

from sap.spec import load_plan
from synthetic_data import frozen_dir, generate, write_datasets
from synthetic_data.io import read_checksums

FROZEN = [("cg-bm1", False), ("wang2013", False), ("ucmsc-as", False), ("msc-etanercept", False),
          ("ucmsc-ra", False), ("cg-bm1", True)]


@pytest.mark.parametrize("pid,blinded", FROZEN)
def test_frozen_bytes_regenerate(tmp_path, pid, blinded):
    folder = frozen_dir(pid + ("-blinded" if blinded else ""))
    if not folder.is_dir():
        pytest.fail(f"frozen data missing: {folder}")
    seed = load_plan(pid).data.synthetic.seed
    write_datasets(generate(pid, seed=seed, blinded=blinded), tmp_path)
    sums = read_checksums(folder)
    assert sums == read_checksums(tmp_path)
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
        assert (folder / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_frozen_small():
    total = sum(p.stat().st_size for p in frozen_dir("").rglob("*") if p.is_file())
    assert total < 5_000_000
