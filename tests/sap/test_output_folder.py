"""``--out`` never costs a user's files: guarded locations, package-written folders only, stale temporary folders,
signals, and file-system errors as one-line exit-2 errors (sap.output_folder, used by sap.run)."""
from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sap
from sap import output_folder
from sap.output_folder import MARKER, foreign_files, remove_stale_work_folders
from sap.run import main

REPO = Path(__file__).resolve().parents[2]
FROZEN = REPO / "synthetic_data" / "frozen" / "wang2013"
FAST = ["--plan", "wang2013", "--format", "html"]


# ----------------------------------------------------------------------------------------------- helpers

def _main(capsys, *args: str) -> tuple[int, str, str]:
    code = main([*FAST, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_one_error(err: str, *names) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for name in names:
        assert str(name) in lines[0], (name, lines[0])
    return lines[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _fake_run_plan(plan, *, data=None, out_dir, formats=("html", "pdf"), randomization=None):
    """Writes like sap.pipeline.run_plan (files, then a manifest listing them) without the analysis."""
    out_dir = Path(out_dir)
    (out_dir / "results.json").write_text("{}", encoding="utf-8")
    (out_dir / "figures").mkdir()
    (out_dir / "figures" / "km.svg").write_text("<svg/>", encoding="utf-8")
    outputs = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file())
    (out_dir / "manifest.json").write_text(json.dumps({"plan_id": plan.id, "plan_sha256": "x", "outputs": outputs}),
                                           encoding="utf-8")


@pytest.fixture
def fake_run(monkeypatch):
    monkeypatch.setattr("sap.pipeline.run_plan", _fake_run_plan)


@pytest.fixture(scope="module")
def previous_run(tmp_path_factory) -> Path:
    """A folder written by a real earlier run (wang2013, HTML)."""
    out = tmp_path_factory.mktemp("previous") / "out"
    assert main([*FAST, "--out", str(out)]) == 0
    return out


def _work_folders(parent: Path, name: str = "out") -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith((f".{name}.tmp-", f".{name}.previous-"))]


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# ------------------------------------------------------------------------------ 1-2: guarded locations

def test_out_is_the_working_folder(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    script = project / "src" / "analysis.R"
    script.write_text("fit <- lm(y ~ x)\n", encoding="utf-8")
    monkeypatch.chdir(project)
    code, out, err = _main(capsys, "--out", ".")
    assert code == 2
    _assert_one_error(err, project.resolve(), "working folder")
    assert script.read_text(encoding="utf-8") == "fit <- lm(y ~ x)\n"
    assert sorted(p.name for p in project.iterdir()) == ["src"]
    assert not _work_folders(tmp_path, "project")


def test_out_is_a_parent_of_the_working_folder(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    monkeypatch.chdir(project)
    code, _, err = _main(capsys, "--out", "..")
    assert code == 2
    _assert_one_error(err, tmp_path.resolve())
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.fixture
def data_folder(tmp_path) -> Path:
    data = tmp_path / "trial" / "D"
    shutil.copytree(FROZEN, data)
    return data


@pytest.mark.parametrize("form", ["folder", "files", "pairs"])
@pytest.mark.parametrize("where", ["same", "parent"])
def test_out_is_the_data_folder_or_its_parent(data_folder, monkeypatch, capsys, form, where):
    monkeypatch.chdir(data_folder.parents[1])  # not the working folder's fault
    before = _snapshot(data_folder)
    files = sorted(data_folder.glob("*.csv"))
    data = {"folder": str(data_folder),
            "files": ",".join(str(p) for p in files),
            "pairs": ",".join(f"{p.stem}={p}" for p in files)}[form]
    out = data_folder if where == "same" else data_folder.parent
    code, _, err = _main(capsys, "--data", data, "--out", str(out))
    assert code == 2
    _assert_one_error(err, out.resolve(), "data folder")
    assert _snapshot(data_folder) == before


def test_out_is_the_data_folder_through_a_symlink(data_folder, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(data_folder, target_is_directory=True)
    before = _snapshot(data_folder)
    code, _, err = _main(capsys, "--data", str(data_folder), "--out", str(link))
    assert code == 2
    _assert_one_error(err, "data folder")
    assert _snapshot(data_folder) == before


def test_out_is_the_default_frozen_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    before = _snapshot(FROZEN)
    code, _, err = _main(capsys, "--out", str(FROZEN))
    assert code == 2
    _assert_one_error(err, FROZEN, "data folder")
    assert _snapshot(FROZEN) == before


def test_out_is_the_randomization_files_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "rand.csv").write_text("USUBJID,ARM\n", encoding="utf-8")
    code, _, err = _main(capsys, "--randomization", str(keys / "rand.csv"), "--out", str(keys))
    assert code == 2
    _assert_one_error(err, keys.resolve(), "--randomization")
    assert (keys / "rand.csv").read_text(encoding="utf-8") == "USUBJID,ARM\n"


def test_out_is_the_plan_files_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    plans = tmp_path / "myplans"
    plans.mkdir()
    plan = plans / "wang2013.yaml"
    shutil.copyfile(REPO / "sap" / "plans" / "wang2013.yaml", plan)
    code = main(["--plan", str(plan), "--format", "html", "--out", str(plans)])
    err = capsys.readouterr().err
    assert code == 2
    _assert_one_error(err, plans.resolve(), "--plan")
    assert sorted(p.name for p in plans.iterdir()) == ["wang2013.yaml"]


@pytest.mark.parametrize("target", ["plans", "package", "repo"])
def test_out_is_a_package_folder(tmp_path, monkeypatch, capsys, target):
    monkeypatch.chdir(tmp_path)
    pkg = Path(sap.__file__).resolve().parent
    out = {"plans": pkg / "plans", "package": pkg, "repo": pkg.parent}[target]
    before = sorted(p.name for p in (pkg / "plans").iterdir())
    code, _, err = _main(capsys, "--out", str(out))
    assert code == 2
    _assert_one_error(err, out)
    assert sorted(p.name for p in (pkg / "plans").iterdir()) == before


def test_out_is_a_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "report.txt"
    target.write_text("mine", encoding="utf-8")
    code, _, err = _main(capsys, "--out", str(target))
    assert code == 2
    _assert_one_error(err, target)
    assert target.read_text(encoding="utf-8") == "mine"


# ------------------------------------------------------------------------ 3: existing output folders

def test_folder_with_a_foreign_file_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "thesis.docx").write_text("years of work", encoding="utf-8")
    (out / "sub" / "b.txt").write_text("b", encoding="utf-8")
    code, stdout, err = _main(capsys, "--out", str(out))
    assert code == 2
    _assert_one_error(err, out, "thesis.docx", "sub/b.txt")
    assert (out / "thesis.docx").read_text(encoding="utf-8") == "years of work"
    assert _snapshot(out) == {"sub/b.txt": b"b", "thesis.docx": b"years of work"}
    assert not _work_folders(tmp_path)


def test_package_written_folder_with_an_added_file_is_refused(previous_run, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    shutil.copytree(previous_run, out)
    (out / "tables" / "my_edit.csv").write_text("a,b\n", encoding="utf-8")
    before = _snapshot(out)
    code, _, err = _main(capsys, "--out", str(out))
    assert code == 2
    _assert_one_error(err, out, "tables/my_edit.csv")
    assert _snapshot(out) == before


def test_package_written_folder_is_replaced(previous_run, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    shutil.copytree(previous_run, out)
    # a file an earlier package version wrote (listed in its manifest) goes with the folder
    (out / "old_report.html").write_text("old", encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["outputs"] = sorted(manifest["outputs"] + ["old_report.html"])
    manifest["run_started"] = "1999-01-01T00:00:00+00:00"
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    code, stdout, err = _main(capsys, "--out", str(out))
    assert code == 0, err
    assert f"wrote {out}" in stdout
    new = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert new["run_started"] != "1999-01-01T00:00:00+00:00"
    assert not (out / "old_report.html").exists()
    assert foreign_files(out) == ([], None)
    assert not _work_folders(tmp_path)
    assert out.stat().st_mode & 0o777 == _umask_mode()


def test_empty_folder_is_used(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = _main(capsys, "--out", str(out))
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["plan_id"] == "wang2013" and "report.html" in manifest["outputs"]
    assert not _work_folders(tmp_path)
    assert out.stat().st_mode & 0o777 == _umask_mode()  # an ordinary folder, not mkdtemp's private 0700 one


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


@pytest.mark.parametrize("manifest", [
    None,                                                        # no manifest at all
    "not json",                                                  # does not parse
    json.dumps({"outputs": ["results.json"]}),                   # no plan_id
    json.dumps({"plan_id": "wang2013"}),                         # no outputs
    json.dumps({"plan_id": "wang2013", "outputs": "results.json"}),  # outputs not a list
    json.dumps({"plan_id": "wang2013", "outputs": []}),          # results.json not listed
])
def test_folder_is_package_written_only_by_a_valid_complete_manifest(tmp_path, monkeypatch, capsys, fake_run,
                                                                     manifest):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("user's", encoding="utf-8")
    if manifest is not None:
        (out / "manifest.json").write_text(manifest, encoding="utf-8")
    before = _snapshot(out)
    code, _, err = _main(capsys, "--out", str(out))
    assert code == 2
    _assert_one_error(err, out)
    assert _snapshot(out) == before


def test_foreign_files_names_at_most_five(tmp_path, monkeypatch, capsys, fake_run):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for i in range(8):
        (out / f"f{i}.txt").write_text(str(i), encoding="utf-8")
    code, _, err = _main(capsys, "--out", str(out))
    assert code == 2
    line = _assert_one_error(err, out, "f0.txt", "f4.txt", "3 more")
    assert "f5.txt" not in line
    assert len(list(out.iterdir())) == 8


# --------------------------------------------------------------------------- 4: stale work folders

def _stale(parent: Path, name: str, pid=None) -> Path:
    folder = parent / name
    (folder / "out").mkdir(parents=True)
    (folder / "out" / "results.json").write_text("{}", encoding="utf-8")
    if pid is not None:
        (folder / MARKER).write_text(f"{pid}\n", encoding="utf-8")
    return folder


def test_stale_temporary_folders_are_removed_only_with_marker_and_dead_pid(tmp_path, monkeypatch, capsys,
                                                                          fake_run):
    monkeypatch.chdir(tmp_path)
    dead = _stale(tmp_path, ".out.tmp-killed1", pid=_dead_pid())
    dead_backup = tmp_path / ".out.previous-killed2"  # killed after the swap, before removing the backup
    dead_backup.mkdir()
    (dead_backup / MARKER).write_text(f"{_dead_pid()}\n", encoding="utf-8")
    no_marker = _stale(tmp_path, ".out.tmp-lookalike")
    alive = _stale(tmp_path, ".out.tmp-running", pid=os.getpid())
    other = _stale(tmp_path, ".other.tmp-killed", pid=_dead_pid())
    code, _, err = _main(capsys, "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert not dead.exists()
    assert not dead_backup.exists()
    assert (no_marker / "out" / "results.json").exists()
    assert (alive / "out" / "results.json").exists() and (alive / MARKER).exists()
    assert (other / "out" / "results.json").exists()
    assert (tmp_path / "out" / "manifest.json").exists()


def test_stale_backup_is_put_back_when_the_swap_was_killed(tmp_path, previous_run):
    backup = tmp_path / ".out.previous-killed"
    backup.mkdir()
    (backup / MARKER).write_text(f"{_dead_pid()}\n", encoding="utf-8")
    shutil.copytree(previous_run, backup / "out")
    before = _snapshot(backup / "out")
    remove_stale_work_folders(tmp_path / "out", log=lambda msg: None)
    assert _snapshot(tmp_path / "out") == before
    assert not backup.exists()


# ------------------------------------------------------------------------------------------ 5: signals

@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_a_run_removes_the_temporary_folder(tmp_path, sig, code):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "sap.run", *FAST, "--out", str(out)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no temporary folder appeared"
            time.sleep(0.02)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr
    assert not _work_folders(tmp_path)
    assert not out.exists()


# ------------------------------------------------------------------------------- 6: file-system errors

def test_out_under_a_regular_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    afile = tmp_path / "afile"
    afile.write_text("mine", encoding="utf-8")
    code, _, err = _main(capsys, "--out", str(afile / "out"))
    assert code == 2
    _assert_one_error(err, afile)
    assert afile.read_text(encoding="utf-8") == "mine"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores the permission bits, so a read-only folder does not block writes")
def test_read_only_parent(tmp_path, monkeypatch, capsys, fake_run):
    monkeypatch.chdir(tmp_path)
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        code, _, err = _main(capsys, "--out", str(parent / "out"))
    finally:
        parent.chmod(0o700)
    assert code == 2
    _assert_one_error(err, parent / "out", "cannot write")
    assert list(parent.iterdir()) == []


def test_permission_denied_creating_the_temporary_folder(tmp_path, monkeypatch, capsys, fake_run):
    """The read-only case as root can run it: the file system refuses the folder beside --out."""
    monkeypatch.chdir(tmp_path)
    parent = tmp_path / "ro"
    parent.mkdir()

    def denied(prefix=None, dir=None, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(Path(dir) / f"{prefix}xyz"))

    monkeypatch.setattr(output_folder.tempfile, "mkdtemp", denied)
    code, _, err = _main(capsys, "--out", str(parent / "out"))
    assert code == 2
    _assert_one_error(err, parent / "out", "cannot write", "Permission denied")
    assert list(parent.iterdir()) == []


def test_disk_full_while_writing_is_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"

    def full(plan, *, out_dir, **kwargs):
        target = Path(out_dir) / "results.json"
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr("sap.pipeline.run_plan", full)
    code, _, err = _main(capsys, "--out", str(out))
    assert code == 2
    _assert_one_error(err, out, "No space left on device", "results.json")
    assert not out.exists() and not _work_folders(tmp_path)


def test_disk_full_from_a_file_write_without_a_name_is_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"

    def full(plan, *, out_dir, **kwargs):
        with open(Path(out_dir) / "report.html", "w", encoding="utf-8"):
            raise OSError(errno.ENOSPC, "No space left on device")  # what file.write() raises: no file name

    monkeypatch.setattr("sap.pipeline.run_plan", full)
    code, _, err = _main(capsys, "--out", str(out))
    assert code == 2
    _assert_one_error(err, out, "No space left on device")
    assert not out.exists() and not _work_folders(tmp_path)


def test_os_error_elsewhere_is_still_an_internal_error(tmp_path, monkeypatch, capsys):
    """Regression guard (also exit 1 before): only errors about the output location become exit 2."""
    monkeypatch.chdir(tmp_path)

    def bug(plan, *, out_dir, **kwargs):
        raise OSError(errno.EACCES, "Permission denied", "/nonexistent/cache/file")

    monkeypatch.setattr("sap.pipeline.run_plan", bug)
    code, _, err = _main(capsys, "--out", str(tmp_path / "out"))
    assert code == 1
    assert "internal error" in err
    assert not (tmp_path / "out").exists() and not _work_folders(tmp_path)


def test_swap_failure_is_exit_2_and_keeps_the_previous_folder(previous_run, tmp_path, monkeypatch, capsys,
                                                              fake_run):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    shutil.copytree(previous_run, out)
    before = _snapshot(out)
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst) == out and ".out.tmp-" in str(src):  # the new folder cannot be moved in
            raise OSError(errno.EXDEV, "Invalid cross-device link", str(src), str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(output_folder.os, "replace", replace)
    code, _, err = _main(capsys, "--out", str(out))
    assert code == 2
    _assert_one_error(err, out, "cannot write")
    assert _snapshot(out) == before
    assert not _work_folders(tmp_path)
