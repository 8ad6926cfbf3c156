"""The output folder (``--out``): guarding, preparing and replacing it without ever deleting a user's files.

Rules:

* ``--out`` may not be the working folder, a data folder, the randomization file's folder, the plan file's
  folder, the shipped plans folder or an install folder of the package, nor a parent of any of them
  (:func:`check_out_location`; real paths are compared, symlinks resolved). It may not be a file.
* An existing ``--out`` is replaced only if it is empty or *package-written*: its ``manifest.json`` parses, has
  ``plan_id`` and ``outputs``, and every file in the folder is listed in ``outputs`` or is ``manifest.json``
  (:func:`foreign_files`). Otherwise the run stops with exit 2 naming the folder and up to 5 foreign files.
* A run writes into ``<parent>/.<name>.tmp-XXXX/<name>/`` and swaps it into place only after it succeeded;
  the previous folder is parked in ``<parent>/.<name>.previous-XXXX/<name>/`` during the swap. Both work
  folders hold a marker file :data:`MARKER` with the creating pid and host. A later run into the same place
  removes work folders left by a killed run -- only those with the name prefix, the marker, and a creating
  process that is no longer alive (:func:`remove_stale_work_folders`); a parked previous folder whose swap
  did not finish is put back.
* One run at a time per ``--out``: a run holds the lock ``<parent>/.<name>.lock`` (:mod:`sap.output_lock`)
  from before it creates its work folder until it has cleaned up; a second run refuses (exit 2 naming the lock).
* Errors of the file system (disk full, permission denied, read-only, a parent path that is a file) while
  preparing, writing or swapping become :class:`~sap.errors.UserInputError` (exit 2) naming ``--out``.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from typing import Optional

from sap.errors import UserInputError
from sap.output_location import _is_within, _real
from sap.output_lock import OutputLock

MARKER = ".sap-tmp"
TMP_INFIX = ".tmp-"
BACKUP_INFIX = ".previous-"
MANIFEST = "manifest.json"
#: errno values of an OSError about a path in the output location that are the environment's, not a bug.
WRITE_ERRNOS = frozenset(getattr(errno, name) for name in (
    "ENOSPC", "EDQUOT", "EACCES", "EPERM", "EROFS", "EFBIG", "EIO", "ENOTDIR", "EEXIST", "EISDIR",
    "ENAMETOOLONG", "EMLINK", "EXDEV", "EBUSY", "ENOTEMPTY", "ELOOP") if hasattr(errno, name))
#: errno values that mean "cannot write" even when the error carries no file name (``file.write``).
NAMELESS_WRITE_ERRNOS = frozenset(getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EROFS", "EFBIG")
                                  if hasattr(errno, name))


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def read_manifest(folder: Path) -> Optional[dict]:
    """The folder's manifest if it is one this package wrote (``plan_id`` and a list ``outputs``), else None."""
    path = folder / MANIFEST
    if path.is_symlink() or not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("plan_id"), str):
        return None
    outputs = doc.get("outputs")
    if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
        return None
    return doc


def _entries(folder: Path) -> list[str]:
    """Relative paths (POSIX style) of everything in ``folder`` that is not a plain directory; symlinks count
    as entries and are not followed."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        rel_root = Path(root).relative_to(folder)
        for name in list(dirs):
            if os.path.islink(os.path.join(root, name)):
                found.append((rel_root / name).as_posix())
        found.extend((rel_root / name).as_posix() for name in files)
    return sorted(found)


def foreign_files(folder: Path) -> tuple[list[str], Optional[str]]:
    """Files in ``folder`` this package did not write, and why (None when the folder may be replaced).

    The folder may be replaced if it does not exist, is empty, or is package-written: its manifest is valid
    and lists every file present (``manifest.json`` itself aside).
    """
    if not folder.exists():
        return [], None
    entries = _entries(folder)
    if not entries:
        return [], None
    manifest = read_manifest(folder)
    if manifest is None:
        return entries, "is not empty and has no manifest.json written by this package"
    listed = {Path(o).as_posix() for o in manifest["outputs"]} | {MANIFEST}
    foreign = [e for e in entries if e not in listed]
    return foreign, ("has files this package did not write" if foreign else None)


def check_replaceable(out: Path) -> None:
    """Raise UserInputError naming ``out`` and up to 5 foreign files unless ``out`` may be replaced."""
    foreign, why = foreign_files(out)
    if why is not None:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise UserInputError(f"--out {out} {why} ({shown}); nothing was changed: choose an empty or new folder, "
                             "or move those files away")


def remove_package_written(folder: Path) -> list[str]:
    """Delete the files of a package-written ``folder`` that its manifest lists, then the emptied folders.

    Returns what was left (files the package did not write are never deleted); the folder itself is removed
    only when nothing is left.
    """
    manifest = read_manifest(folder)
    listed = set() if manifest is None else {Path(o).as_posix() for o in manifest["outputs"]}
    for rel in _entries(folder):
        if rel in listed or (rel == MANIFEST and manifest is not None):
            (folder / rel).unlink()
    for root, dirs, files in os.walk(folder, topdown=False, followlinks=False):
        for name in dirs:
            path = Path(root) / name
            if not path.is_symlink():
                try:
                    path.rmdir()
                except OSError:
                    pass
    try:
        folder.rmdir()
    except OSError:
        return _entries(folder)
    return []


# ------------------------------------------------------------------------------------------- work folders

def _marker_text() -> str:
    return f"{os.getpid()}\n{socket.gethostname()}\n"


def _make_work_folder(out: Path, infix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}{infix}", dir=out.parent))
    (folder / MARKER).write_text(_marker_text(), encoding="utf-8")
    return folder


def _pid_alive(pid: int) -> bool:
    if pid <= 0 or pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would terminate it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def _creator_gone(folder: Path) -> bool:
    """True if ``folder`` carries our marker and the process that created it is no longer alive."""
    marker = folder / MARKER
    if marker.is_symlink() or not marker.is_file():
        return False
    try:
        lines = marker.read_text(encoding="utf-8").split("\n")
        pid = int(lines[0].strip())
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    host = lines[1].strip() if len(lines) > 1 else ""
    if host and host != socket.gethostname():  # a run on another machine sharing the folder
        return False
    return not _pid_alive(pid)


def stale_work_folders(out: Path) -> list[Path]:
    """Temporary and backup folders beside ``out`` left by a run that was killed (see the module docstring)."""
    if not out.parent.is_dir():
        return []
    prefixes = (f".{out.name}{TMP_INFIX}", f".{out.name}{BACKUP_INFIX}")
    found = []
    for entry in sorted(out.parent.iterdir()):
        if entry.name.startswith(prefixes) and entry.is_dir() and not entry.is_symlink() and _creator_gone(entry):
            found.append(entry)
    return found


def remove_stale_work_folders(out: Path, *, log=None) -> None:
    """Remove the stale work folders beside ``out``; put a parked previous ``out`` back if ``out`` is missing."""
    log = log or _stderr
    for folder in stale_work_folders(out):
        try:
            _remove_stale(folder, out, log)
        except OSError as exc:  # not fatal: this run does not need the space
            log(f"warning: could not remove {folder} left by an earlier run ({exc.strerror or exc})")


def _remove_stale(folder: Path, out: Path, log) -> None:
    """Remove one stale work folder (see :func:`remove_stale_work_folders`)."""
    if folder.name.startswith(f".{out.name}{TMP_INFIX}"):
        shutil.rmtree(folder)  # holds only the partial output of the killed run
        return
    parked = folder / out.name
    if parked.exists() and not out.exists():
        os.replace(parked, out)
        log(f"note: restored {out} from {folder.name} (an earlier run was killed while replacing it)")
    elif parked.exists():
        left = remove_package_written(parked)
        if left:
            (folder / MARKER).unlink()
            log(f"warning: kept {parked}: it holds files this package did not write")
            return
    (folder / MARKER).unlink()
    remaining = list(folder.iterdir())
    if remaining:
        log(f"warning: kept {folder}: it holds files this package did not write")
    else:
        folder.rmdir()


# ------------------------------------------------------------------------------------------ output folder

@contextlib.contextmanager
def _signals_deferred():
    """Hold SIGINT/SIGTERM while renaming or cleaning up; a pending one is delivered on leaving."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


class OutputFolder:
    """Context manager for one run's output: write into :attr:`work`, then :meth:`commit`.

    ``with OutputFolder(out) as folder: run(folder.work); folder.commit()`` -- on leaving, the temporary and
    backup folders are removed whatever happened, so ``out`` changes only if ``commit`` ran. File-system errors
    about the output location become :class:`UserInputError` naming ``out``; other errors pass unchanged.
    """

    def __init__(self, out: Path, *, log=None):
        self.out = _real(out)
        self.log = log or _stderr
        self.tmp: Optional[Path] = None
        self.work: Optional[Path] = None
        self.backup: Optional[Path] = None
        self.committed = False
        self.lock = OutputLock(self.out, log=self.log)

    # -- errors
    def cannot_write(self, exc: OSError) -> UserInputError:
        filename = next((f for f in (exc.filename, exc.filename2) if self._inside(f)), exc.filename)
        shown = ""
        if isinstance(filename, (str, bytes, os.PathLike)):
            path = _real(os.fsdecode(filename))
            if self.work is not None and _is_within(path, self.work) and path != self.work:
                shown = f" {path.relative_to(self.work)}"
            elif path != self.out:
                shown = f" {path}"
        reason = exc.strerror or type(exc).__name__
        return UserInputError(f"--out {self.out}: cannot write{shown} ({reason})")

    def _inside(self, filename) -> bool:
        if not isinstance(filename, (str, bytes, os.PathLike)):
            return False
        path = _real(os.fsdecode(filename))
        if _is_within(path, self.out) or path in self.out.parents:
            return True
        return any(f is not None and _is_within(path, f) for f in (self.tmp, self.backup))

    def concerns_output(self, exc: OSError) -> bool:
        """True if ``exc`` is the file system refusing a write into the output location (not a bug)."""
        if exc.errno is None:
            return False
        if exc.filename is None and exc.filename2 is None:
            return exc.errno in NAMELESS_WRITE_ERRNOS
        return exc.errno in WRITE_ERRNOS and (self._inside(exc.filename) or self._inside(exc.filename2))

    # -- life cycle
    def __enter__(self) -> "OutputFolder":
        try:
            if self.out.exists() and not self.out.is_dir():
                raise UserInputError(f"--out {self.out} exists and is not a folder")
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.lock.acquire()  # before anything beside --out is created or removed
            remove_stale_work_folders(self.out, log=self.log)
            with _signals_deferred():  # a signal now would leave the folder behind before we know its name
                self.tmp = _make_work_folder(self.out, TMP_INFIX)
            self.work = self.tmp / self.out.name
            self.work.mkdir()
        except OSError as exc:
            self._cleanup()
            raise self.cannot_write(exc) from exc
        except BaseException:
            self._cleanup()
            raise
        return self

    def commit(self) -> None:
        """Replace ``out`` by the finished :attr:`work` folder (refusing if ``out`` holds foreign files)."""
        assert self.work is not None, "commit() outside the with block"
        check_replaceable(self.out)
        try:
            with _signals_deferred():  # the two renames must not be split by SIGINT/SIGTERM
                parked = None
                if self.out.exists():
                    self.backup = _make_work_folder(self.out, BACKUP_INFIX)
                    parked = self.backup / self.out.name
                    os.replace(self.out, parked)
                try:
                    os.replace(self.work, self.out)
                except OSError:
                    if parked is not None:
                        os.replace(parked, self.out)
                    raise
                self.committed = True
        except OSError as exc:
            raise self.cannot_write(exc) from exc

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._cleanup()
        if isinstance(exc, OSError) and self.concerns_output(exc):
            raise self.cannot_write(exc) from exc
        return False

    def _cleanup(self) -> None:
        with _signals_deferred():
            try:
                self._remove_work_folders()
            except OSError as exc:  # do not hide the run's own outcome
                self.log(
                    f"warning: could not clean up beside {self.out} ({exc.strerror or exc})")
            finally:
                self._release_lock()

    def _release_lock(self) -> None:
        try:
            self.lock.release()
        except OSError as exc:  # the lock is let go in any case; only its file may be left (it blocks no one)
            self.log(f"warning: could not remove {self.lock.path} ({exc.strerror or exc})")

    def _remove_work_folders(self) -> None:
        if self.tmp is not None and self.tmp.exists():
            shutil.rmtree(self.tmp, ignore_errors=True)  # our own folder: the unfinished output only
        if self.backup is not None and self.backup.exists():
            parked = self.backup / self.out.name
            if parked.exists() and not self.committed:  # the swap failed half-way: put the previous one back
                if self.out.exists():
                    (self.backup / MARKER).unlink(missing_ok=True)
                    self.log(
                        f"warning: the previous {self.out.name} is kept in {self.backup}")
                    return
                os.replace(parked, self.out)
            left = remove_package_written(parked) if parked.exists() else []
            if left:  # files appeared in --out while it was being replaced: keep them
                (self.backup / MARKER).unlink(missing_ok=True)
                self.log(
                    f"warning: kept the previous {self.out.name} in {self.backup}: it holds files this package "
                    f"did not write ({', '.join(left[:5])})")
            else:
                shutil.rmtree(self.backup, ignore_errors=True)
