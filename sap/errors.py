"""The error hierarchy: what is the user's to fix (exit 2, one ``error:`` line) as opposed to a bug (exit 1).

- :class:`UserInputError`: bad command-line arguments, missing files, data that cannot be analysed as the plan
  says (e.g. a primary analysis that cannot be estimated on the data).
- :class:`PlanError` (:mod:`sap.spec`): the plan file is invalid; the message names the plan field.
- :class:`DataError`: base of the data errors of :mod:`sap.data` (``DataReadError``, ``DataContractError``),
  whose messages name the dataset, column and rows.

Anything else raised during a run is a bug and is reported with its traceback. A model that cannot be estimated
is not an error: it is recorded on its result (``AnalysisResult.not_estimable``) with the reason.
"""
from __future__ import annotations


class UserInputError(ValueError):
    """Bad command-line arguments, missing files or data that cannot be analysed as the plan says."""


class PlanError(UserInputError):
    """A plan file is invalid; the message names the plan file and the offending key."""


class DataError(UserInputError):
    """Trial data that cannot be read or break the data contract; the message names dataset, column and rows."""


def is_user_error(exc: BaseException) -> bool:
    """True for errors reported as ``error: ...`` with exit code 2 (no traceback)."""
    return isinstance(exc, (UserInputError, FileNotFoundError))
