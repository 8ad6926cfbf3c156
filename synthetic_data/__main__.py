"""``python -m synthetic_data --plan ID [--seed N] [--n N] [--blinded] --out DIR``.

``--seed`` defaults to the plan's ``data.synthetic.seed``. ``--freeze`` writes the frozen copy
into ``synthetic_data/frozen/<plan>[-blinded]/`` instead of ``--out``. Exit 2 with a one-line
``error:`` message on bad input.
"""
from __future__ import annotations

import argparse
import sys

from sap.spec import PlanError, load_plan

from .generator import generate
from .io import frozen_dir, write_datasets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synthetic_data", description="Generate synthetic trial data for a plan.")
    ap.add_argument("--plan", required=True, help="plan id (sap/plans/<id>.yaml) or path")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: the plan's data.synthetic.seed)")
    ap.add_argument("--n", type=int, default=None, help="subjects in the non-escalation phase(s)")
    ap.add_argument("--blinded", action="store_true", help="blind Phase 2 treatment; write randomization.csv")
    dest = ap.add_mutually_exclusive_group(required=True)
    dest.add_argument("--out", help="output folder")
    dest.add_argument("--freeze", action="store_true", help="write synthetic_data/frozen/<plan>[-blinded]/")
    args = ap.parse_args(argv)
    try:
        plan = load_plan(args.plan)
        seed = args.seed
        if seed is None:
            if plan.data.synthetic is None:
                raise ValueError(f"plan {plan.id} has no data.synthetic.seed; pass --seed")
            seed = plan.data.synthetic.seed
        data = generate(plan.id, seed=seed, n=args.n, blinded=args.blinded)
        out = frozen_dir(plan.id + ("-blinded" if args.blinded else "")) if args.freeze else args.out
        paths = write_datasets(data, out)
    except (PlanError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
