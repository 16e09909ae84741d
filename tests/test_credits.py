from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from a2v2_desktop.domain.credits import CreditsFormatError, credits_to_decimal, format_credits, parse_credits


@pytest.mark.parametrize(
    ("text", "units"),
    [("12", 120000), ("0.25", 2500), ("-3.5", -35000), ("0.0001", 1), ("-0.0001", -1), ("0", 0), ("1234567890.1234", 12345678901234)],
)
def test_parse_known_values(text, units):
    assert parse_credits(text) == units


@pytest.mark.parametrize("text", ["", "1.", ".5", "1.23456", "1,5", "1e3", " 1", "+1", "NaN", "--1"])
def test_parse_rejects_malformed(text):
    with pytest.raises(CreditsFormatError):
        parse_credits(text)


def test_format_is_shortest_exact():
    assert [format_credits(u) for u in (125000, 120000, -35000, 1, 0, -1)] == ["12.5", "12", "-3.5", "0.0001", "0", "-0.0001"]


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_round_trip_is_exact(units):
    assert parse_credits(format_credits(units)) == units
    assert credits_to_decimal(units) == Decimal(format_credits(units))
