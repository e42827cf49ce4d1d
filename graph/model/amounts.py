"""Amounts of US dollars as people type them: ``1.5B``, ``500M``, ``2.5K``, ``$3T``, ``1e9``.

The one parser behind every command-line option and query parameter that takes a USD
amount; the HTML views' filter box reads the same forms.

>>> parse_usd("1.5B"), parse_usd("500m"), parse_usd("$2.5K"), parse_usd("1e9"), parse_usd("7")
(1500000000.0, 500000000.0, 2500.0, 1000000000.0, 7.0)
"""

from __future__ import annotations

import math
import re

from dealgraph.model.errors import DealgraphError

#: Suffix multipliers (case-insensitive): thousand, million, billion, trillion.
SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}

_AMOUNT = re.compile(
    r"\s*\$?\s*((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBtT])?\s*"
)


class AmountError(DealgraphError):
    """Text that is not an amount of US dollars."""


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
            raise AmountError(f"not an amount of USD: {shown!r} (try 500M, 1.5B, 2.5K or 1000000)")
        value = float(match.group(1)) * SUFFIXES.get((match.group(2) or "").lower(), 1)
    if not math.isfinite(value) or value < 0:
        raise AmountError(f"not an amount of USD: {text!r} (it must be a finite number of at least 0)")
    return value
