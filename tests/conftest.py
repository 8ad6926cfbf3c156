"""Shared test fixtures: location of ../shared (outside references and real data)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT / "tests") not in sys.path:  # tests/shared_helpers.py (importlib import mode)
    sys.path.insert(0, str(REPO_ROOT / "tests"))
SHARED_DIR = REPO_ROOT.parent / "shared"
REFERENCE_DIR = SHARED_DIR / "reference"
CDISCPILOT_DIR = SHARED_DIR / "data" / "cdiscpilot01"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"outside references not present at {REFERENCE_DIR}")
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def cdiscpilot_dir() -> Path:
    if not CDISCPILOT_DIR.is_dir():
        pytest.skip(f"CDISC pilot data not present at {CDISCPILOT_DIR}")
    return CDISCPILOT_DIR


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/<plan>.csv and .meta.json from the current code (review the diff before committing)")


@pytest.fixture(scope="session")
def update_golden(request) -> bool:
    return bool(request.config.getoption("--update-golden"))
