"""What a plan requires of its data: the ADaM data contract as plain frozen dataclasses.

The runner builds one :class:`DataRequirements` per plan (usually by extending
:func:`default_requirements_for_contract`) and hands it to
:func:`sap.data.contract.check_contract`. Nothing here reads a plan: the objects are plain data; a visit
schedule's windows are :class:`sap.spec.Visit` (the one visit-window model; :mod:`sap.requirements` passes the
plan's visits). Dataset names are stored lower-case and column names upper-case.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable

from sap.spec import Visit

COLUMN_KINDS = ("numeric", "character", "date", "any")


def _tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (str, bytes)):
        return (value,)
    return tuple(value)


def _set(obj, name, value) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class ColumnSpec:
    """A column of a dataset: its kind and whether it must be present.

    ``alternatives``: other names that satisfy presence (``FASFL`` or ``ITTFL``); the kind is
    checked on whichever is present. Specs of a dataset that is not loaded are not checked
    (list the dataset in ``required_datasets`` to require it).
    """

    dataset: str
    name: str
    kind: str = "any"
    required: bool = True
    alternatives: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"ColumnSpec {self.dataset}.{self.name}: kind {self.kind!r} not in {COLUMN_KINDS}")
        _set(self, "dataset", self.dataset.lower())
        _set(self, "name", self.name.upper())
        _set(self, "alternatives", tuple(a.upper() for a in _tuple(self.alternatives)))

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.alternatives)


@dataclass(frozen=True)
class ValueRange:
    """Allowed numeric range of ``column`` in ``dataset`` (for one PARAMCD, or all rows if None).

    Bounds are inclusive unless ``lo_inclusive``/``hi_inclusive`` is False (``AGE > 0``);
    ``None`` is unbounded; ``integer=True`` also requires whole numbers (CTCAE grade, joint
    counts). Missing values are not range problems. Character columns are compared after
    conversion to numbers (SDTM-style character AETOXGR); text that is no number is a problem.
    """

    dataset: str
    column: str = "AVAL"
    paramcd: str | None = None
    lo: float | None = None
    hi: float | None = None
    lo_inclusive: bool = True
    hi_inclusive: bool = True
    integer: bool = False
    param_column: str = "PARAMCD"

    def __post_init__(self):
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise ValueError(f"ValueRange {self.dataset}.{self.column}: lo {self.lo} > hi {self.hi}")
        _set(self, "dataset", self.dataset.lower())
        _set(self, "column", self.column.upper())
        _set(self, "param_column", self.param_column.upper())

    def describe(self) -> str:
        left = "(" if not self.lo_inclusive else "["
        right = ")" if not self.hi_inclusive else "]"
        lo = "-inf" if self.lo is None else f"{self.lo:g}"
        hi = "inf" if self.hi is None else f"{self.hi:g}"
        kind = "integer in " if self.integer else ""
        return f"{kind}{left}{lo}, {hi}{right}"


@dataclass(frozen=True)
class AllowedValues:
    """Values ``column`` may take; ``dataset=None`` applies to every loaded dataset having it."""

    column: str
    values: tuple = ()
    dataset: str | None = None
    allow_missing: bool = True

    def __post_init__(self):
        _set(self, "column", self.column.upper())
        _set(self, "values", _tuple(self.values))
        if self.dataset is not None:
            _set(self, "dataset", self.dataset.lower())


@dataclass(frozen=True)
class UniqueKey:
    """Columns identifying one record of ``dataset``.

    ``when_present``: columns appended to the key when the dataset has them (``DTYPE``: a LOCF
    record may share subject/parameter/visit with the observed one). ``within_flag``: when the
    dataset has this flag column, only records flagged ``"Y"`` must be unique (``ANL01FL``).
    Missing values in ``columns`` are problems unless ``missing_allowed`` (then such rows are
    not checked).
    """

    dataset: str
    columns: tuple[str, ...]
    when_present: tuple[str, ...] = ()
    within_flag: str | None = None
    missing_allowed: bool = False

    def __post_init__(self):
        _set(self, "dataset", self.dataset.lower())
        _set(self, "columns", tuple(c.upper() for c in _tuple(self.columns)))
        _set(self, "when_present", tuple(c.upper() for c in _tuple(self.when_present)))
        if self.within_flag is not None:
            _set(self, "within_flag", self.within_flag.upper())
        if not self.columns:
            raise ValueError(f"UniqueKey {self.dataset}: no columns")


def visit_from_row(avisitn: float, label: str, target_day: int, lo_day: int | None, hi_day: int | None) -> Visit:
    """The :class:`sap.spec.Visit` of a window-table row ``(AVISITN, label, target_day, lo_day, hi_day)``
    (inclusive bounds; ``None`` = open-ended)."""
    return Visit(avisitn=avisitn, label=label, target_day=target_day, window=(lo_day, hi_day))


@dataclass(frozen=True)
class VisitSchedule:
    """The visit windows records of ``datasets`` must respect.

    A record whose ``visit_column`` is not in the schedule is a problem; one whose study day
    (``day_column``, when the dataset has it and the value is not missing) lies outside its
    visit's window is a problem. Records with a derivation type (``DTYPE`` not missing, e.g.
    LOCF) carry the day of their source record and are skipped when ``skip_derived``.
    ``params`` restricts the check to those PARAMCDs; ``label_column`` (e.g. ``AVISIT``), when
    given, must match the window label (case and blanks ignored).
    """

    datasets: tuple[str, ...]
    windows: tuple[Visit, ...]
    visit_column: str = "AVISITN"
    day_column: str = "ADY"
    label_column: str | None = None
    missing_visit_allowed: bool = True
    skip_derived: bool = True
    params: tuple[str, ...] | None = None
    param_column: str = "PARAMCD"

    def __post_init__(self):
        _set(self, "datasets", tuple(d.lower() for d in _tuple(self.datasets)))
        windows = tuple(w if isinstance(w, Visit) else visit_from_row(*w) for w in self.windows)
        seen = [w.avisitn for w in windows]
        dups = sorted({v for v in seen if seen.count(v) > 1})
        if dups:
            raise ValueError(f"visit schedule: AVISITN {dups} appear more than once")
        _set(self, "windows", windows)
        _set(self, "visit_column", self.visit_column.upper())
        _set(self, "day_column", self.day_column.upper())
        _set(self, "param_column", self.param_column.upper())
        if self.label_column is not None:
            _set(self, "label_column", self.label_column.upper())
        if self.params is not None:
            _set(self, "params", _tuple(self.params))

    @classmethod
    def from_table(cls, datasets: Iterable[str], table: Iterable[tuple], **options) -> "VisitSchedule":
        """Build from rows ``(AVISITN, label, target_day, lo_day, hi_day)``."""
        return cls(datasets=tuple(datasets), windows=tuple(visit_from_row(*row) for row in table), **options)


@dataclass(frozen=True)
class DataRequirements:
    """Everything :func:`~sap.data.contract.check_contract` checks.

    ``subject_dataset``/``subject_key``: every ``subject_key`` value of every other dataset
    must be known to the subject dataset (referential integrity); ``None`` turns this off.
    Lists are accepted and stored as tuples.
    """

    required_datasets: tuple[str, ...] = ()
    columns: tuple[ColumnSpec, ...] = ()
    ranges: tuple[ValueRange, ...] = ()
    allowed: tuple[AllowedValues, ...] = ()
    unique_keys: tuple[UniqueKey, ...] = ()
    visit_schedules: tuple[VisitSchedule, ...] = ()
    subject_dataset: str | None = "adsl"
    subject_key: str = "USUBJID"

    def __post_init__(self):
        _set(self, "required_datasets", tuple(dict.fromkeys(d.lower() for d in _tuple(self.required_datasets))))
        for name in ("columns", "ranges", "allowed", "unique_keys", "visit_schedules"):
            _set(self, name, _tuple(getattr(self, name)))
        if self.subject_dataset is not None:
            _set(self, "subject_dataset", self.subject_dataset.lower())
        _set(self, "subject_key", self.subject_key.upper())

    def merge(self, other: "DataRequirements") -> "DataRequirements":
        """Requirements of both; where both specify the same column / range / allowed set /
        key, ``other`` wins. Visit schedules are concatenated; subject settings come from
        ``other``."""
        def combine(mine, theirs, key):
            out = {key(x): x for x in mine}
            out.update({key(x): x for x in theirs})
            return tuple(out.values())

        return DataRequirements(
            required_datasets=self.required_datasets + other.required_datasets,
            columns=combine(self.columns, other.columns, lambda c: (c.dataset, c.name)),
            ranges=combine(self.ranges, other.ranges, lambda r: (r.dataset, r.column, r.paramcd)),
            allowed=combine(self.allowed, other.allowed, lambda a: (a.dataset, a.column)),
            unique_keys=combine(self.unique_keys, other.unique_keys, lambda k: (k.dataset, k.columns)),
            visit_schedules=self.visit_schedules + other.visit_schedules,
            subject_dataset=other.subject_dataset, subject_key=other.subject_key)

    def with_optional(self, dataset: str, *names: str) -> "DataRequirements":
        """Same requirements with the named columns of ``dataset`` made optional (kind still checked)."""
        dataset, wanted = dataset.lower(), {n.upper() for n in names}
        unknown = wanted - {c.name for c in self.columns if c.dataset == dataset}
        if unknown:
            raise ValueError(f"with_optional: {dataset} has no column spec for {sorted(unknown)}")
        cols = tuple(replace(c, required=False) if c.dataset == dataset and c.name in wanted else c
                     for c in self.columns)
        return replace(self, columns=cols)

    def specs_for(self, dataset: str) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.dataset == dataset.lower())
