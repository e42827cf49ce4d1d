"""Deal dates as intervals, and the period (``--since`` / ``--until``) a reading command looks at.

A deal's date may be partial: ``2025`` is the whole year, ``2025-09`` the whole month,
``2025-09-30`` one day. Every date is therefore an interval of days, ``first..last``.

A period keeps the deals that *may* fall in it: ``--since A --until B`` runs from the first
day of ``A`` to the last day of ``B``, and a deal counts when its interval overlaps that
(``--since 2025-09-15`` keeps a deal dated ``2025-09``). A deal with no date cannot be
placed, so it does not count once ``--since`` or ``--until`` is given.

>>> date_interval("2024-02")
DateInterval(first=datetime.date(2024, 2, 1), last=datetime.date(2024, 2, 29))
>>> period = Period.between("2025-06", "2025")
>>> [period.keeps(d) for d in ("2025-05-31", "2025-06", "2025", "2026-01", None)]
[False, True, True, False, False]
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Iterable

from dealgraph.model.errors import QueryError
from dealgraph.model.records import Relationship

__all__ = ["DateInterval", "Period", "date_interval"]

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class DateInterval:
    """The days a (possibly partial) date may stand for, both ends included."""

    first: date
    last: date

    @property
    def days(self) -> tuple[int, int]:
        """``(first, last)`` as day numbers (``date.toordinal``), for arithmetic."""
        return self.first.toordinal(), self.last.toordinal()


@lru_cache(maxsize=65536)
def date_interval(text: str) -> DateInterval:
    """The interval a ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` date stands for."""
    m = _DATE.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise QueryError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = int(m[1]), m[2], m[3]
    try:
        if month is None:
            return DateInterval(date(year, 1, 1), date(year, 12, 31))
        month = int(month)
        if day is None:
            return DateInterval(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
        d = date(year, month, int(day))
        return DateInterval(d, d)
    except ValueError:
        raise QueryError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Period:
    """The days a reading command looks at; ``None`` ends are open."""

    first: date | None = None
    last: date | None = None

    @classmethod
    def between(cls, since: str | None = None, until: str | None = None) -> "Period":
        """From the first day of ``since`` to the last day of ``until`` (either may be None)."""
        first = date_interval(since).first if since else None
        last = date_interval(until).last if until else None
        if first and last and first > last:
            raise QueryError(f"--since {since} is after --until {until}: the period is empty")
        return cls(first, last)

    @property
    def bounded(self) -> bool:
        return self.first is not None or self.last is not None

    def keeps(self, deal_date: str | None) -> bool:
        """Whether a deal with this date may fall in the period (always, for an open period)."""
        if not self.bounded:
            return True
        if not deal_date:
            return False
        try:
            when = date_interval(deal_date)
        except QueryError:
            return False
        return (self.first is None or when.last >= self.first) and (self.last is None or when.first <= self.last)

    def relationships(self, relationships: Iterable[Relationship]) -> list[Relationship]:
        return [r for r in relationships if self.keeps(r.date)]
