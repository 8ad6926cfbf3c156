"""``python -m sap.run --version`` prints the version of pyproject.toml (issue 16: no --version)."""
from __future__ import annotations

import subprocess
import sys
import re
from pathlib import Path


def test_version_is_the_projects():
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    expected = re.search(r'^version = "([^"]+)"', text, re.M).group(1)   # Python 3.10 has no tomllib
    out = subprocess.run([sys.executable, "-m", "sap.run", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"sap {expected}"
