"""``python -m sap.run``: run a plan on trial data and write validated results and reports.

Usage::

    python -m sap.run [--plan ID|FILE] [--data DIR|FILE,FILE|NAME=PATH,...] [--out DIR]
                      [--format html,pdf] [--randomization FILE] [--list-plans] [--version]

Defaults: plan ``cg-bm1``, its frozen synthetic data, out ``reports/out/<plan>``. Exit 0 on success; exit 2 on
bad input with a one-line ``error:`` message on stderr and no traceback; exit 130 (SIGINT) or 143 (SIGTERM)
when interrupted; exit 1 on an internal error.

``--out`` is never a user's folder (:mod:`sap.output_folder`): it must not be the working folder, a data folder,
the ``--randomization`` or ``--plan`` file's folder, the package's plans or install folders, nor a parent of any
of them; an existing ``--out`` is replaced only if it is empty or was written by this package (its
``manifest.json`` lists every file in it) -- otherwise exit 2 naming the foreign files, and nothing is deleted.
Everything is written to a temporary folder beside ``--out`` (``.<name>.tmp-*``) and moved into place only when
the whole run succeeded, so a failed or interrupted run leaves ``--out`` untouched and removes the temporary
folder; one left by a killed run is removed by the next run into the same place. A file-system error on the
output location (disk full, permission denied, read-only, a parent that is a file) is exit 2 naming ``--out``.
One run at a time per ``--out``: a second run into the same folder while one is running exits 2 naming the lock
file ``.<name>.lock`` beside it (:mod:`sap.output_lock`); it does not wait.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from importlib import metadata
from pathlib import Path
from typing import Optional, Sequence

from sap.errors import UserInputError, is_user_error
from sap.spec import PLANS_DIR, available_plans, load_plan, plan_path
from sap.output_folder import OutputFolder
from sap.output_location import check_out_location, protected_folders


def package_version() -> str:
    """The installed version of the ``sap`` distribution (pyproject.toml), or 'unknown' when not installed."""
    try:
        return metadata.version("sap")
    except metadata.PackageNotFoundError:
        return "unknown"


def _parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sap.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", default="cg-bm1", help="plan id (see --list-plans) or path to a plan YAML file")
    parser.add_argument(
        "--data",
        default=None,
        help="data folder; or comma-separated files; or comma-separated NAME=PATH pairs "
        "(default: the plan's frozen synthetic data)",
    )
    parser.add_argument("--out", default=None, help="output folder (default: reports/out/<plan>); an existing one is "
                        "replaced only if it is empty or written by an earlier run")
    parser.add_argument("--format", default="html,pdf", help="report formats: html, pdf or html,pdf (default)")
    parser.add_argument("--randomization", default=None, help="randomization file to unblind blinded data")
    parser.add_argument("--list-plans", action="store_true", help="list the shipped plans and exit")
    parser.add_argument("--version", action="version", version=f"sap {package_version()}",
                        help="print the package version and exit")
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


class RunInterrupted(BaseException):
    """SIGINT or SIGTERM during a run (a BaseException so that ``except Exception`` does not swallow it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _InterruptHandlers:
    """While active, SIGINT and SIGTERM raise :class:`RunInterrupted` once (later ones are ignored so that the
    clean-up is not interrupted); the previous handlers are restored on leaving."""

    SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM") if hasattr(signal, n))

    def __init__(self):
        self.previous: dict = {}
        self.received: Optional[int] = None

    def _handle(self, signum, frame):
        if self.received is None:
            self.received = signum
            raise RunInterrupted(signum)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # signal.signal works in the main thread only
            for sig in self.SIGNALS:
                self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> bool:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        return False


def _plan_file(plan_arg: str):
    """The plan file when ``--plan`` is a path (not a shipped plan id), else None."""
    path = plan_path(plan_arg)
    return None if path.resolve().parent == PLANS_DIR.resolve() else path


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``python -m sap.run`` and the ``sap`` console script; returns the exit code."""
    try:
        args = _parse_args(argv)
    except SystemExit as exc:  # argparse usage errors exit with 2 already
        return int(exc.code or 0)
    try:
        with _InterruptHandlers():
            return _main(args)
    except RunInterrupted as exc:  # the temporary folder is gone: OutputFolder cleans up on any exception
        name = signal.Signals(exc.signum).name
        print(f"error: interrupted by {name}; the temporary output folder was removed", file=sys.stderr)
        return 128 + exc.signum


def _main(args: argparse.Namespace) -> int:
    try:
        if args.list_plans:
            for pid in available_plans():
                plan = load_plan(pid)
                print(f"{pid:16s} {plan.short_title}")
            return 0
        formats = _formats(args.format)
        plan = load_plan(args.plan)
        data = parse_data_argument(args.data)
        randomization = Path(args.randomization) if args.randomization else None
        out = Path(args.out) if args.out else Path("reports") / "out" / plan.id
        out = out.resolve()
        from sap.pipeline import frozen_data_dir, run_plan

        check_out_location(out, protected_folders(
            data=data, randomization=randomization, plan_file=_plan_file(args.plan),
            default_data_folder=frozen_data_dir(plan) if data is None else None))
        with OutputFolder(out) as folder:
            run_plan(plan, data=data, out_dir=folder.work, formats=formats, randomization=randomization)
            folder.commit()
        print(f"wrote {out}")
        return 0
    except Exception as exc:  # noqa: BLE001 - every exception is reported: bad input exit 2, a bug exit 1
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
