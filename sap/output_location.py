"""Where ``--out`` may be: never a folder holding the run's inputs, the shipped plans or the installed package.

``python -m sap.run`` replaces its output folder; :func:`check_out_location` refuses, before anything is read or
written, an output folder that is (or contains, or lies inside) the data folder, the folder of the
randomization or plan file, the shipped plans or the installed packages, so a run can never delete a user's
inputs. Written by hand: a path-containment rule, no library does it.
"""
from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path
from typing import Iterable, Optional, Sequence

from sap.errors import UserInputError
from sap.spec import PLANS_DIR

#: Top-level packages installed by this distribution (see pyproject.toml).
INSTALL_PACKAGES = ("sap", "analyses", "reports", "synthetic_data")


def _real(path: os.PathLike | str) -> Path:
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def protected_folders(*, data=None, randomization: Optional[os.PathLike | str] = None,
                      plan_file: Optional[os.PathLike | str] = None,
                      default_data_folder: Optional[os.PathLike | str] = None) -> list[tuple[str, Path]]:
    """Folders ``--out`` must be neither equal to nor a parent of, each with a label for the error message.

    ``data`` is what :func:`sap.run.parse_data_argument` returns: a folder, a list of files or a mapping of
    dataset name to file (``None`` for the plan's frozen data, given as ``default_data_folder``).
    """
    found: list[tuple[str, Path]] = [("working folder", _real(Path.cwd()))]
    if data is None:
        if default_data_folder is not None:
            found.append(("data folder", _real(default_data_folder)))
    else:
        entries: Iterable = data.values() if isinstance(data, dict) else (
            [data] if isinstance(data, (str, os.PathLike)) else data)
        for entry in entries:
            path = _real(entry)
            found.append(("data folder", path if path.is_dir() else path.parent))
    if randomization is not None:
        found.append(("folder of the --randomization file", _real(randomization).parent))
    if plan_file is not None:
        found.append(("folder of the --plan file", _real(plan_file).parent))
    found.append(("folder of the shipped plans", _real(PLANS_DIR)))
    for name in INSTALL_PACKAGES:
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):  # pragma: no cover - broken installation
            spec = None
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append((f"install folder of the {name!r} package", _real(location)))
    return found


def check_out_location(out: Path, protected: Sequence[tuple[str, Path]]) -> None:
    """Raise UserInputError unless ``out`` (a resolved path) is a place the package may replace."""
    out = _real(out)
    if out.exists() and not out.is_dir():
        raise UserInputError(f"--out {out} exists and is not a folder")
    for ancestor in out.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise UserInputError(f"--out {out}: {ancestor} is a file, not a folder")
            break
    for label, folder in protected:
        folder = _real(folder)
        if out == folder:
            raise UserInputError(f"--out {out} is the {label}; the run would replace it, choose another folder")
        if out in folder.parents:
            raise UserInputError(f"--out {out} contains the {label} {folder}; the run would replace it, "
                                 "choose another folder")


# ------------------------------------------------------------------------------------ package-written folders

