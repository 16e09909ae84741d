"""Exact credits: the API's decimal strings held as integer ten-thousandths.

Credits are never floats anywhere in the app: sums of integers are exact, and the
API promises at most four fractional digits, so one credit is 10,000 units.
"""

from __future__ import annotations

import re
from decimal import Decimal

SCALE = 10_000
_CREDITS_RE = re.compile(r"-?\d+(\.\d{1,4})?")


class CreditsFormatError(ValueError):
    """A credits string that is not a decimal with at most four fractional digits."""


def parse_credits(text: str) -> int:
    """Parse "12", "0.25", "-3.5" into ten-thousandths (120000, 2500, -35000)."""
    if not isinstance(text, str) or not _CREDITS_RE.fullmatch(text):
        raise CreditsFormatError(f"not a credits amount: {text!r}")
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    units = int(whole) * SCALE + int(frac.ljust(4, "0") or "0")
    return -units if negative else units


def format_credits(units: int) -> str:
    """The shortest exact decimal string for ten-thousandths: 125000 -> "12.5"."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), SCALE)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:04d}".rstrip("0")


def credits_to_decimal(units: int) -> Decimal:
    """Ten-thousandths as an exact Decimal, for display and arithmetic with money."""
    return Decimal(units).scaleb(-4).normalize() if units else Decimal(0)


def group_thousands(units: int, decimals: int = 2) -> str:
    """Human display: 12345678 units -> "1,234.57" (rounded half-even for display only)."""
    value = credits_to_decimal(units).quantize(Decimal(1).scaleb(-decimals))
    return f"{value:,.{decimals}f}"
