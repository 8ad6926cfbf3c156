"""Compare every plan's OLD golden results with a fresh run of the CURRENT code, row by row by key.

    python tests/golden/compare_results.py [--old-rev REV] [--plans P ...] [--allow FILE] [--show N]

Old = ``git show REV:tests/golden/<plan>.json`` (the JSON goldens; default REV 8508907, the last commit
before the middle-layer rebuild) or, where that revision has no JSON, ``REV:tests/golden/<plan>.csv``;
both go through ``keyed.keyed_frame``. New = ``compute_run`` of the plan on its frozen data. Per plan it
prints "N rows compared, K differences" and the differences (tolerance: rel 1e-6, abs 1e-9, see
test_golden_results.py). Plan header changes (id/title/version/sha256) are printed for information and
not counted. ``--allow FILE``: lines (``#`` comments) that are fnmatch patterns matched against
``<plan>: <difference>``; matching differences are listed as allowed and not counted.

Exit status: 0 when no plan has a (non-allowed) difference, 1 otherwise, 2 on bad arguments.
"""
from __future__ import annotations

import argparse
import fnmatch
import io
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
import keyed  # noqa: E402

DEFAULT_REV = "8508907"


def git_show(rev: str, relpath: str) -> str | None:
    proc = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:{relpath}"],
                          capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def old_results(rev: str, plan_id: str):
    """(keyed frame, plan header or None, source) of the golden at ``rev``; (None, None, None) if absent."""
    text = git_show(rev, f"tests/golden/{plan_id}.json")
    if text is not None:
        doc = json.loads(text)
        return keyed.keyed_frame(doc), doc.get("plan"), f"{rev}:tests/golden/{plan_id}.json"
    text = git_show(rev, f"tests/golden/{plan_id}.csv")
    if text is not None:
        meta = git_show(rev, f"tests/golden/{plan_id}.meta.json")
        plan = json.loads(meta)["plan"] if meta else None
        return keyed.read_csv(io.StringIO(text)), plan, f"{rev}:tests/golden/{plan_id}.csv"
    return None, None, None


def new_document(plan_id: str) -> dict | None:
    from sap.pipeline import compute_run, frozen_data_dir, results_document
    from sap.spec import load_plan

    plan = load_plan(plan_id)
    if not frozen_data_dir(plan).is_dir():
        return None
    return json.loads(json.dumps(results_document(compute_run(plan)), allow_nan=False))


def read_allow(path: Path | None) -> list[str]:
    if path is None:
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def main(argv: list[str] | None = None) -> int:
    from sap.spec import available_plans

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-rev", default=DEFAULT_REV, help=f"git revision of the old goldens (default {DEFAULT_REV})")
    ap.add_argument("--plans", nargs="+", metavar="PLAN", help="plans to compare (default: every shipped plan)")
    ap.add_argument("--allow", type=Path, metavar="FILE", help="fnmatch patterns of intended differences")
    ap.add_argument("--show", type=int, default=200, metavar="N", help="differences printed per plan (default 200)")
    args = ap.parse_args(argv)

    shipped = available_plans()
    plans = args.plans or shipped
    unknown = [p for p in plans if p not in shipped]
    if unknown:
        print(f"error: unknown plan(s) {', '.join(unknown)}; available: {', '.join(shipped)}", file=sys.stderr)
        return 2
    if git_show(args.old_rev, "pyproject.toml") is None:
        print(f"error: cannot read revision {args.old_rev!r} with git show", file=sys.stderr)
        return 2
    allow = read_allow(args.allow)

    failed, total_rows, total_diffs = [], 0, 0
    for plan_id in plans:
        old, old_plan, source = old_results(args.old_rev, plan_id)
        if old is None:
            print(f"{plan_id}: skipped, no tests/golden/{plan_id}.json or .csv at {args.old_rev}")
            if args.plans:  # asked for explicitly: not comparing is a failure
                failed.append(plan_id)
            continue
        doc = new_document(plan_id)
        if doc is None:
            print(f"{plan_id}: skipped, no frozen synthetic data (old golden {source} exists)")
            failed.append(plan_id)
            continue
        new = keyed.keyed_frame(doc)
        diffs = keyed.compare_keyed(old, new)
        allowed = [d for d in diffs if any(fnmatch.fnmatchcase(f"{plan_id}: {d}", pat) for pat in allow)]
        counted = [d for d in diffs if d not in set(allowed)]
        common = len(old.merge(new[keyed.key_columns(new)], on=keyed.key_columns(new), how="inner"))
        print(f"{plan_id}: {common} rows compared ({len(old)} old from {source}, {len(new)} new), "
              f"{len(counted)} differences" + (f", {len(allowed)} allowed" if allowed else ""))
        for field in ("id", "title", "version", "sha256"):
            if old_plan is not None and old_plan.get(field) != doc["plan"].get(field):
                print(f"  plan header (not counted): {field} {old_plan.get(field)!r} -> {doc['plan'].get(field)!r}")
        for d in counted[: args.show]:
            print(f"  {d}")
        if len(counted) > args.show:
            print(f"  ... and {len(counted) - args.show} more (--show N)")
        for d in allowed[: args.show]:
            print(f"  allowed: {d}")
        total_rows += common
        total_diffs += len(counted)
        if counted:
            failed.append(plan_id)
    print(f"total: {total_rows} rows compared, {total_diffs} differences"
          + (f"; failing: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
