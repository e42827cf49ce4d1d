"""Values as people write them, one grammar each, ASCII digits only: amounts of US
dollars, dates of year, month or day precision, and figure periods. Every file format,
command-line option, query parameter and view reads them through here.

Amounts: a number optionally after ``$`` and before a suffix ``K``, ``M``, ``B`` or ``T``;
thousands may be grouped with commas.

>>> parse_usd("1.5B"), parse_usd("500m"), parse_usd("$2.5K"), parse_usd("1e9"), parse_usd("7")
(1500000000.0, 500000000.0, 2500.0, 1000000000.0, 7.0)
>>> parse_usd("$1,000,000,000")
1000000000.0

Dates may be partial: ``2025`` is the whole year, ``2025-09`` the whole month,
``2025-09-30`` one day. Every date is therefore an interval of days, ``first..last``.
A period (``--since A --until B``) runs from the first day of ``A`` to the last day of
``B``, and a deal counts when its interval overlaps that (``--since 2025-09-15`` keeps a
deal dated ``2025-09``). A deal with no date cannot be placed, so it does not count once
``--since`` or ``--until`` is given.

>>> date_interval("2024-02")
DateInterval(first=datetime.date(2024, 2, 1), last=datetime.date(2024, 2, 29))
>>> period = Period.between("2025-06", "2025")
>>> [period.keeps(d) for d in ("2025-05-31", "2025-06", "2025", "2026-01", None)]
[False, True, True, False, False]
>>> check_date("2025-02-30")
Traceback (most recent call last):
...
ValueError: '2025-02-30' is not a real calendar date
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

from dealgraph.model.errors import DealgraphError, ModelError, QueryError

if TYPE_CHECKING:
    from dealgraph.model.records import Relationship

__all__ = [
    "AmountError", "BASIS_WORDS", "DATE", "DateInterval", "PERIOD", "Period", "SUFFIXES", "check_date",
    "date_interval", "figure_when", "parse_percent", "parse_usd", "period_end", "usd",
    "usd_by_basis", "usd_on_basis",
]

#: Suffix multipliers (case-insensitive): thousand, million, billion, trillion.
SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}

_AMOUNT = re.compile(
    r"\s*\$?\s*((?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"\s*([kKmMbBtT])?\s*"
)
#: Commas that are not thousands groups (``1,5B``: a decimal comma, or a typo).
_AMBIGUOUS = re.compile(r"\s*\$?\s*[0-9][0-9,]*,[0-9,.]*\s*[kKmMbBtT]?\s*")


class AmountError(DealgraphError):
    """Text that is not an amount of US dollars."""


def usd(amount: float | None) -> str:
    """A compact dollar figure, as the CLI and the views write amounts: ``$1.3B``,
    ``$667.7M``, ``?`` when unknown (what :func:`parse_usd` reads back, to a rounding).

    >>> usd(1_300_000_000), usd(667_700_000), usd(None)
    ('$1.3B', '$667.7M', '?')
    """
    if amount is None:
        return "?"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= size:
            return f"${amount / size:,.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"${amount:,.0f}"


#: How an amount reads on each ``amount_basis`` (schema.yaml ``relationship.amount_basis``)
#: other than plain cash: "$350M in stock", "$11.9B (contract total)", "~$40B (estimate)".
#: The one place these words live; :func:`usd_on_basis` and :func:`usd_by_basis` use them.
BASIS_WORDS = {
    "commitment": "commitment",
    "facility": "facility size",
    "contract_total": "contract total",
    "stock": "in stock",
    "estimate": "estimate",
}


def usd_on_basis(amount: float | None, basis: str | None, note: str | None = None) -> str:
    """An amount with its basis said when it is not plain cash (or unstated), and its
    ``note`` in the same parentheses when given.

    >>> usd_on_basis(3.5e8, "stock"), usd_on_basis(1.19e10, "contract_total"), usd_on_basis(4e10, "estimate")
    ('$350M in stock', '$11.9B (contract total)', '~$40B (estimate)')
    >>> usd_on_basis(2e9, "cash"), usd_on_basis(2e9, None), usd_on_basis(None, "stock")
    ('$2B', '$2B', '?')
    >>> usd_on_basis(1e9, "facility", "revolver"), usd_on_basis(1e9, "stock", "all-stock"), usd_on_basis(1e9, None, "approx.")
    ('$1B (facility size; revolver)', '$1B in stock (all-stock)', '$1B (approx.)')
    """
    words = [note] if note else []
    if amount is None or basis not in BASIS_WORDS:
        text = usd(amount)
    elif basis == "stock":
        text = f"{usd(amount)} {BASIS_WORDS[basis]}"
    else:
        text = f"{'~' if basis == 'estimate' else ''}{usd(amount)}"
        words.insert(0, BASIS_WORDS[basis])
    return f"{text} ({'; '.join(words)})" if words else text


def usd_by_basis(parts) -> str:
    """A sum of ``(amount, amount_basis)`` pairs (unknown amounts skipped) as it reads: on
    its basis when all share one, else the total and the parts that are not plain cash.

    >>> usd_by_basis([(3.5e8, "stock")]), usd_by_basis([(1e9, "cash"), (2e9, None)])
    ('$350M in stock', '$3B')
    >>> usd_by_basis([(1e9, "cash"), (1.19e10, "contract_total"), (3.5e8, "stock"), (None, "stock")])
    '$13.2B (incl. $11.9B contract total, $350M in stock)'
    >>> usd_by_basis([(None, "stock")]), usd_by_basis([])
    ('?', '?')
    """
    by: dict[str | None, float] = {}
    for amount, basis in parts:
        if amount is not None:
            key = basis if basis in BASIS_WORDS else None
            by[key] = by.get(key, 0.0) + amount
    if not by:
        return usd(None)
    if len(by) == 1:
        (basis, total), = by.items()
        return usd_on_basis(total, basis)
    named = ", ".join(f"{usd(by[b])} {BASIS_WORDS[b]}" for b in BASIS_WORDS if b in by)
    return f"{usd(sum(by.values()))} (incl. {named})"


def parse_usd(text: str | float | int) -> float:
    """The amount ``text`` names, in US dollars; raises :class:`AmountError`.

    A number (``2500000``, ``1e9``) optionally after ``$`` and before a suffix ``K``,
    ``M``, ``B`` or ``T``. Negative, infinite or unreadable amounts are refused.
    """
    if isinstance(text, bool):
        raise AmountError(f"not an amount of USD: {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        match = _AMOUNT.fullmatch(str(text))
        if match is None:
            shown = str(text) if len(str(text)) <= 40 else str(text)[:37] + "..."
            if _AMBIGUOUS.fullmatch(str(text)):
                raise AmountError(f"ambiguous amount of USD: {shown!r} (commas only group thousands, "
                                  "as in 1,000,000; write a decimal point as '.')")
            raise AmountError(f"not an amount of USD: {shown!r} (try 500M, 1.5B, 2.5K or 1000000)")
        value = float(match.group(1).replace(",", "")) * SUFFIXES.get((match.group(2) or "").lower(), 1)
    if not math.isfinite(value) or value < 0:
        raise AmountError(f"not an amount of USD: {text!r} (it must be a finite number of at least 0)")
    return value


#: A share in percent as written in files: a plain number (ASCII digits), ``%`` optional.
_PERCENT = re.compile(r"\s*((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*%?\s*")


def parse_percent(text: str | float | int) -> float:
    """A share in percent from 0 to 100; ValueError otherwise.

    >>> parse_percent("62%"), parse_percent(" 7.5 ")
    (62.0, 7.5)
    """
    if isinstance(text, bool):
        raise ValueError(text)
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        match = _PERCENT.fullmatch(text)
        if match is None:
            raise ValueError(text)
        value = float(match.group(1))
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise ValueError(text)
    return value


#: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, ASCII digits only.
DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def check_date(text: str) -> str:
    """``text`` when it is a date of year, month or day precision that exists on the
    calendar; else ValueError saying why."""
    match = DATE.fullmatch(text)
    if not match:
        raise ValueError(f"must be YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a real calendar date") from None
    return text


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
    m = DATE.fullmatch(text.strip()) if isinstance(text, str) else None
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

    def relationships(self, relationships: Iterable["Relationship"]) -> list["Relationship"]:
        return [r for r in relationships if self.keeps(r.date)]

    def keeps_figure(self, period: str | None, as_of: str | None) -> bool:
        """Whether a figure is in the period: the date it speaks for is (its ``as_of`` when
        given, else the end of its ``period``; see :func:`figure_when`). A figure with neither
        is in an open period only. So a view "as known in October 2025" shows no figure
        stated in 2026, nor a full-year 2025 figure, but does show guidance given in 2025.

        >>> p = Period.between(None, "2025-10")
        >>> p.keeps_figure("2025", None), p.keeps_figure("2025-Q3", None), p.keeps_figure("2026", "2025-09")
        (False, True, True)
        """
        if not self.bounded:
            return True
        try:
            when = figure_when(period, as_of)
        except ModelError:
            return False
        return self.keeps(when or None)


#: ``YYYY``, ``YYYY-QN``, ``YYYY-HN``, ``YYYY-MM``, or ``START/END`` of years or months.
_PERIOD_PART = r"[0-9]{4}(?:-(?:Q[1-4]|H[12]|(?:0[1-9]|1[0-2])))?"
PERIOD = re.compile(rf"(?P<start>{_PERIOD_PART})(?:/(?P<end>[0-9]{{4}}(?:-(?:0[1-9]|1[0-2]))?))?")


def period_end(period: str) -> str:
    """The last day of a period, as ``YYYY-MM-DD``.

    >>> period_end("2024"), period_end("2025-Q2"), period_end("2025-H1"), period_end("2024-02")
    ('2024-12-31', '2025-06-30', '2025-06-30', '2024-02-29')
    >>> period_end("2025/2028")
    '2028-12-31'
    """
    match = PERIOD.fullmatch(period)
    if match is None:
        raise ModelError(
            f"period must be YYYY, YYYY-QN, YYYY-HN, YYYY-MM or START/END, got {period!r}"
        )
    part = match["end"] or match["start"]
    year, _, rest = part.partition("-")
    if not rest:
        month = 12
    elif rest[0] == "Q":
        month = 3 * int(rest[1])
    elif rest[0] == "H":
        month = 6 * int(rest[1])
    else:
        month = int(rest)
    day = calendar.monthrange(int(year), month)[1]
    return f"{year}-{month:02d}-{day:02d}"


def figure_when(period: str | None, as_of: str | None) -> str:
    """``as_of`` if given, else the end of ``period`` (see :meth:`Figure.when`)."""
    if as_of:
        return as_of
    return period_end(period) if period else ""
