"""One run at a time into one ``--out``: an exclusive lock on a file beside it.

A run holds ``<parent>/.<name>.lock`` (``fcntl.flock``, exclusive, non-blocking) from before it creates its
temporary folder until it has moved the new folder into place and cleaned up (:class:`sap.output_folder.
OutputFolder`). A second run into the same ``--out`` refuses at once -- exit 2 naming the lock file and the
process holding it -- rather than waiting: a run takes minutes, and a silent wait looks like a hang; nothing of
the first run is touched. The kernel releases the lock when its process dies, so the lock file a killed run
leaves behind blocks nobody: the next run takes it over and removes it when done. The file holds the holder's
pid and host, for the message only. The lock is advisory (it binds runs of this package) and needs ``fcntl``:
on a platform without it (Windows), or a file system that cannot lock, runs are not serialised (with a warning
on such a file system). Written by hand: twenty lines of ``flock``.
"""
from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path
from typing import Optional

from sap.errors import UserInputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_SUFFIX = ".lock"
_ATTEMPTS = 20
#: flock errors that mean "this file system does not lock" (some network file systems): run without the lock.
NO_LOCKING = frozenset(getattr(errno, n) for n in ("ENOLCK", "EOPNOTSUPP", "ENOTSUP", "EINVAL") if hasattr(errno, n))


def lock_path(out: Path) -> Path:
    """The lock file of ``--out``: ``.<name>.lock`` in its parent folder."""
    return out.parent / f".{out.name}{LOCK_SUFFIX}"


def _holder(fd: int) -> str:
    try:
        lines = os.pread(fd, 200, 0).decode("utf-8", "replace").split("\n")
    except OSError:
        return "another run"
    pid = lines[0].strip()
    host = lines[1].strip() if len(lines) > 1 else ""
    if not pid.isdigit():
        return "another run"
    return f"another run (pid {pid}{f' on {host}' if host and host != socket.gethostname() else ''})"


class OutputLock:
    """The lock of one ``--out``: :meth:`acquire` raises UserInputError if another run holds it; OSError (a
    read-only or full parent folder) passes to the caller."""

    def __init__(self, out: Path, *, log=None):
        self.out = out
        self.path = lock_path(out)
        self.fd: Optional[int] = None
        self.log = log or (lambda message: print(message, file=sys.stderr))

    def acquire(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            return
        for _ in range(_ATTEMPTS):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise UserInputError(f"--out {self.out} is being written by {holder}, which holds the lock "
                                     f"{self.path}; nothing was changed: wait for it to finish or choose another "
                                     "--out") from None
            except OSError as exc:
                os.close(fd)
                if exc.errno not in NO_LOCKING:
                    raise
                self.path.unlink(missing_ok=True)
                self.log(f"warning: the file system of {self.path.parent} cannot lock files ({exc.strerror}); "
                         "a second run into the same --out would not be stopped")
                return
            except BaseException:
                os.close(fd)
                raise
            if self._still_the_file(fd):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n{socket.gethostname()}\n".encode("utf-8"), 0)
                self.fd = fd
                return
            os.close(fd)  # the previous holder removed the file after we opened it: open the new one
        raise UserInputError(f"--out {self.out}: could not take the lock {self.path} (it keeps being replaced)")

    def _still_the_file(self, fd: int) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        """Remove the lock file, then let go of the lock (in this order, so no one locks a removed file unseen)."""
        if self.fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)
            self.fd = None
