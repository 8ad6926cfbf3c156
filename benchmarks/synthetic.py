"""Wall time to generate 10,000 subjects (cg-bm1 Phase 1 by 3+3 plus a 10,000-subject Phase 2).

Run: ``/work/venv/bin/python benchmarks/synthetic.py``. Speed belongs here, never in tests.
"""
from __future__ import annotations

import time

from synthetic_data import generate


def main() -> None:
    for pid in ("cg-bm1", "msc-etanercept"):
        t0 = time.perf_counter()
        d = generate(pid, seed=1, n=10_000)
        dt = time.perf_counter() - t0
        rows = {k: len(v) for k, v in d.items()}
        print(f"{pid}: {len(d['adsl'])} subjects in {dt:.2f} s; rows {rows}")


if __name__ == "__main__":
    main()
