"""``python -m sap.run``: run a plan on trial data and write validated results and reports.

Usage::

    python -m sap.run [--plan ID|FILE] [--data DIR|FILE,FILE|NAME=PATH,...] [--out DIR]
                      [--format html,pdf] [--randomization FILE] [--list-plans]

Defaults: plan ``cg-bm1``, its frozen synthetic data, out ``reports/out/<plan>``. Exit 0 on success; exit 2 on
bad input with a one-line ``error:`` message on stderr and no traceback. Everything is written to a temporary
folder beside ``--out`` and moved into place only when the whole run succeeded, so a failed run leaves ``--out``
untouched.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Optional, Sequence

from sap.errors import UserInputError


def _parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sap.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", default="cg-bm1", help="plan id (see --list-plans) or path to a plan YAML file")
    parser.add_argument(
        "--data",
        default=None,
        help="data folder; or comma-separated files; or comma-separated NAME=PATH pairs "
        "(default: the plan's frozen synthetic data)",
    )
    parser.add_argument("--out", default=None, help="output folder (default: reports/out/<plan>)")
    parser.add_argument("--format", default="html,pdf", help="report formats: html, pdf or html,pdf (default)")
    parser.add_argument("--randomization", default=None, help="randomization file to unblind blinded data")
    parser.add_argument("--list-plans", action="store_true", help="list the shipped plans and exit")
    return parser.parse_args(argv)


def parse_data_argument(value: Optional[str]):
    """Turn ``--data`` into a folder path, a list of files, or a mapping of dataset name to path."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts:
        raise UserInputError("--data is empty")
    if all("=" in p for p in parts):
        mapping = {}
        for p in parts:
            name, path = p.split("=", 1)
            mapping[name.strip().lower()] = Path(path.strip())
        return mapping
    if any("=" in p for p in parts):
        raise UserInputError("--data mixes NAME=PATH pairs and plain paths; use one form")
    if len(parts) == 1 and Path(parts[0]).is_dir():
        return Path(parts[0])
    return [Path(p) for p in parts]


def _formats(value: str) -> tuple[str, ...]:
    fmts = tuple(f.strip().lower() for f in value.split(",") if f.strip())
    bad = [f for f in fmts if f not in ("html", "pdf")]
    if bad or not fmts:
        raise UserInputError(f"--format must be html, pdf or html,pdf (got {value!r})")
    return fmts


def _move_into_place(tmp: Path, out: Path) -> None:
    backup = None
    if out.exists():
        backup = out.with_name(out.name + ".previous-" + tmp.name)
        os.replace(out, backup)
    try:
        os.replace(tmp, out)
    except OSError:
        if backup is not None:
            os.replace(backup, out)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``python -m sap.run`` and the ``sap`` console script; returns the exit code."""
    try:
        args = _parse_args(argv)
    except SystemExit as exc:  # argparse usage errors exit with 2 already
        return int(exc.code or 0)
    from sap.spec import PlanError, available_plans, load_plan

    try:
        if args.list_plans:
            for pid in available_plans():
                plan = load_plan(pid)
                print(f"{pid:16s} {plan.short_title}")
            return 0
        formats = _formats(args.format)
        plan = load_plan(args.plan)
        data = parse_data_argument(args.data)
        out = Path(args.out) if args.out else Path("reports") / "out" / plan.id
        out = out.resolve()
        if out.exists() and not out.is_dir():
            raise UserInputError(f"--out {out} exists and is not a folder")
        out.parent.mkdir(parents=True, exist_ok=True)
        from sap.pipeline import run_plan

        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        try:
            run_plan(plan, data=data, out_dir=tmp, formats=formats,
                     randomization=Path(args.randomization) if args.randomization else None)
            _move_into_place(tmp, out)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        print(f"wrote {out}")
        return 0
    except (UserInputError, PlanError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - contract errors from sap.data subclass ValueError
        from sap.errors import is_user_error

        if is_user_error(exc):
            print(f"error: {_one_line(exc)}", file=sys.stderr)
            return 2
        traceback.print_exc()
        print(f"error: internal error ({type(exc).__name__}: {_one_line(exc)}); please report it", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split("\n")[0].split())


if __name__ == "__main__":
    sys.exit(main())
