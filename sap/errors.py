"""Errors that are the user's to fix (bad plan, bad data, bad arguments) as opposed to bugs."""
from __future__ import annotations


class UserInputError(ValueError):
    """Bad command-line arguments, missing files or data that cannot be analysed as the plan says."""


def is_user_error(exc: BaseException) -> bool:
    """True for errors reported as ``error: ...`` with exit code 2 (no traceback)."""
    if isinstance(exc, (UserInputError, FileNotFoundError)):
        return True
    try:
        from sap.spec import PlanError

        if isinstance(exc, PlanError):
            return True
    except ImportError:  # pragma: no cover
        pass
    try:
        from sap.data import DataContractError, DataReadError  # type: ignore[attr-defined]

        if isinstance(exc, (DataContractError, DataReadError)):
            return True
    except ImportError:
        pass
    return False
