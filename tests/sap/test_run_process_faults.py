"""Faults of the process around a run (issue 15): SIGKILL, two runs into one ``--out``, a read-only ``--out``, a full
disk, an ``--out`` inside the data folder. Each run succeeds correctly or exits 2 with one ``error:`` line, and
nothing partial is left at ``--out`` (sap.run, sap.output_folder, sap.output_lock)."""
from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sap.output_folder import MARKER
from sap.run import main

REPO = Path(__file__).resolve().parents[2]
FROZEN = REPO / "synthetic_data" / "frozen" / "wang2013"
FAST = ["--plan", "wang2013", "--format", "html"]
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _one_error(err: str, *names) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for name in names:
        assert str(name) in lines[0], (name, lines[0])
    return lines[0]


def _beside(parent: Path, name: str = "out") -> list[str]:
    """Everything the run keeps beside ``--out``: temporary and backup folders, the lock file."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def _complete(out: Path) -> bool:
    """True if ``out`` is a whole package-written folder: its manifest lists exactly the files present."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    present = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    return sorted(manifest["outputs"] + ["manifest.json"]) == present


def _start(out: Path, cwd: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sap.run", *FAST, "--out", str(out), *extra], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, proc: subprocess.Popen, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, (what, proc.communicate())
        assert time.monotonic() < deadline, f"no {what} appeared"
        time.sleep(0.01)


def _fake_run_plan(plan, *, data=None, out_dir, formats=("html", "pdf"), randomization=None):
    out_dir = Path(out_dir)
    (out_dir / "results.json").write_text("{}", encoding="utf-8")
    (out_dir / "manifest.json").write_text(json.dumps({"plan_id": plan.id, "outputs": ["results.json"]}),
                                           encoding="utf-8")


# ------------------------------------------------------------------------------------------------- SIGKILL

def test_sigkill_leaves_no_output_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "out"
    proc = _start(out, tmp_path)
    try:
        # killed while writing: the work folder exists and the pipeline is running inside it
        _wait_for(lambda: any((p / "out").is_dir() for p in tmp_path.glob(".out.tmp-*")), proc, "work folder")
        time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()  # no partial --out: the output only ever appears by the final rename
    left = [p for p in tmp_path.glob(".out.tmp-*")]
    assert left and all((p / MARKER).is_file() for p in left)  # what SIGKILL leaves: the marked work folder
    code = main([*FAST, "--out", str(out)])
    assert code == 0
    assert not [p for p in tmp_path.glob(".out.*")], _beside(tmp_path)  # stale folder and stale lock removed
    assert _complete(out)


# ----------------------------------------------------------------------------------------- concurrent runs

HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from sap.output_folder import OutputFolder
    with OutputFolder(Path(sys.argv[1])) as folder:
        (folder.work / "results.json").write_text("first")
        (folder.work / "manifest.json").write_text('{"plan_id": "wang2013", "outputs": ["results.json"]}')
        print("holding", flush=True)
        sys.stdin.readline()
        folder.commit()
""")


def test_a_second_run_into_the_same_out_refuses_naming_the_lock(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sap.pipeline.run_plan", _fake_run_plan)
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], cwd=REPO, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == "holding", first.stderr.read()
        before = _beside(tmp_path)
        code = main([*FAST, "--out", str(out)])
        line = _one_error(capsys.readouterr().err, out, ".out.lock", "another run", f"pid {first.pid}")
        assert code == 2, line
        assert _beside(tmp_path) == before  # the refused run created and removed nothing
        first.stdin.write("\n")
        first.stdin.flush()
        assert first.wait(timeout=60) == 0, first.stderr.read()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert (out / "results.json").read_text() == "first"  # the first run's output, untouched
    assert _beside(tmp_path) == []  # its lock file is gone with it
    assert main([*FAST, "--out", str(out)]) == 0  # and the place is free again


def test_two_real_runs_into_one_out(tmp_path):
    """Started together: one writes a complete --out, the other refuses with exit 2; nothing is mixed."""
    out = tmp_path / "out"
    procs = [_start(out, tmp_path) for _ in range(2)]
    results = [p.communicate(timeout=600) + (p.returncode,) for p in procs]
    codes = sorted(r[2] for r in results)
    assert codes == [0, 2], results
    refused = next(r for r in results if r[2] == 2)
    _one_error(refused[1], out, "another run")
    assert _complete(out)
    assert _beside(tmp_path) == []


def test_a_lock_file_left_by_a_killed_run_does_not_block(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sap.pipeline.run_plan", _fake_run_plan)
    (tmp_path / ".out.lock").write_text("999999999\nsomewhere\n", encoding="utf-8")  # nobody holds it
    assert main([*FAST, "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    assert _beside(tmp_path) == []


def test_a_file_system_that_cannot_lock_runs_with_a_warning(tmp_path, monkeypatch, capsys):
    """Some network file systems refuse flock (ENOLCK): the run goes on unserialised and says so."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sap.pipeline.run_plan", _fake_run_plan)

    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr("sap.output_lock.fcntl.flock", no_locks)
    assert main([*FAST, "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "cannot lock files" in err and "No locks available" in err
    assert _beside(tmp_path) == [] and (tmp_path / "out" / "results.json").is_file()


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_run_leaves_neither_work_folder_nor_lock(tmp_path, sig, code):
    out = tmp_path / "out"
    proc = _start(out, tmp_path)
    try:
        _wait_for(lambda: (tmp_path / ".out.lock").exists() and any(tmp_path.glob(".out.tmp-*")), proc, "lock")
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, stderr
    assert _beside(tmp_path) == [] and not out.exists()


# -------------------------------------------------------------------------------------- read-only, full disk

@pytest.mark.skipif(ROOT, reason="root ignores the permission bits, so a read-only folder does not block writes")
@pytest.mark.parametrize("previous", [False, True], ids=["empty", "package-written"])
def test_read_only_out_is_exit_2_and_unchanged(tmp_path, monkeypatch, capsys, previous):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sap.pipeline.run_plan", _fake_run_plan)
    out = tmp_path / "out"
    if previous:
        assert main([*FAST, "--out", str(out)]) == 0
        capsys.readouterr()
    else:
        out.mkdir()
    before = sorted(p.name for p in out.iterdir())
    out.chmod(0o555)
    try:
        code = main([*FAST, "--out", str(out)])
    finally:
        out.chmod(0o755)
    assert code == 2
    _one_error(capsys.readouterr().err, out, "cannot write")
    assert sorted(p.name for p in out.iterdir()) == before
    assert _beside(tmp_path) == []


def test_read_only_out_as_the_file_system_reports_it(tmp_path, monkeypatch, capsys):
    """The read-only case where root runs the tests: moving the old --out aside is refused (EACCES/EROFS)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sap.pipeline.run_plan", _fake_run_plan)
    out = tmp_path / "out"
    assert main([*FAST, "--out", str(out)]) == 0
    capsys.readouterr()
    real_replace = os.replace

    def replace(src, dst):
        if Path(src) == out:
            raise OSError(errno.EROFS, "Read-only file system", str(src), str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr("sap.output_folder.os.replace", replace)
    code = main([*FAST, "--out", str(out)])
    assert code == 2
    _one_error(capsys.readouterr().err, out, "cannot write", "Read-only file system")
    assert (out / "results.json").read_text() == "{}" and _beside(tmp_path) == []


def test_disk_full_in_the_real_pipeline_is_exit_2_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    real_write_text = Path.write_text

    def write_text(self, *args, **kwargs):
        if self.name == "results.json" and ".out.tmp-" in str(self):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    code = main([*FAST, "--out", str(out)])
    assert code == 2
    _one_error(capsys.readouterr().err, out, "No space left on device", "results.json")
    assert not out.exists() and _beside(tmp_path) == []


# ---------------------------------------------------------------------------------- --out inside the data

def test_out_inside_the_data_folder_runs_and_is_not_read_back(tmp_path, monkeypatch, capsys):
    """Allowed (the data folder is never replaced, only its new subfolder): the outputs are not read as data by
    the next run, which gives the same tables."""
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "trial"
    shutil.copytree(FROZEN, data)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    out = data / "results"
    tables = []
    for _ in range(2):
        assert main([*FAST, "--data", str(data), "--out", str(out)]) == 0, capsys.readouterr().err
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert sorted(Path(i["path"]).name for i in manifest["inputs"]) == sorted(
            n for n in before if n.endswith(".csv"))
        tables.append({p.name: p.read_text() for p in sorted((out / "tables").glob("*.csv"))})
    assert tables[0] == tables[1] and tables[0]
    assert {p.name: p.read_bytes() for p in data.iterdir() if p != out} == before
    assert _beside(data, "results") == []
