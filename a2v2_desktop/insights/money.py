"""Money as integer minor units with its currency; exact until it is shown.

Amounts in different currencies are never added together: every sum here is kept
per currency. Fractions of a minor unit (a yearly price per month, credits valued
at the top-up rate) stay Fractions and are rounded half-even only for display.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from a2v2_desktop.insights.text import MINUS

# ISO 4217 currencies whose minor unit is not the cent (as Stripe counts them).
ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
                          "xaf", "xof", "xpf"})
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


def minor_digits(currency: str) -> int:
    code = currency.lower()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def money_text(amount: int | Fraction, currency: str) -> str:
    """"1,234.56 USD", "−0.30 USD"; a fraction of a minor unit is rounded half-even."""
    digits = minor_digits(currency)
    value = Decimal(amount.numerator) / Decimal(amount.denominator) if isinstance(amount, Fraction) else Decimal(amount)
    major = (value.scaleb(-digits)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    sign = MINUS if major < 0 else ""
    return f"{sign}{abs(major):,.{digits}f} {currency.upper()}"


def monies_text(amounts: Mapping[str, int | Fraction]) -> str:
    """Several currencies side by side, never summed: "12.00 EUR · 30.00 USD"; "—" when there is none."""
    if not amounts:
        return "—"
    return " · ".join(money_text(amounts[code], code) for code in sorted(amounts))

