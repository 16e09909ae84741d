"""The sync reads feed pages by column: whatever the page, it gives exactly the rows, or the error,
that reading it record by record gives, and it does read the ordinary pages itself."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BeforeValidator, Field, StringConstraints

from a2v2_desktop.api import records as rec
from a2v2_desktop.api.errors import ResponseTooLarge
from a2v2_desktop.cache import writes
from a2v2_desktop.domain.times import parse_rfc3339
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
from a2v2_desktop.sync.rows import column_values, feed_columns

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
ORG = DemoOrg(OrgSpec(seed=3, agents=6, members=4, days=40), now=NOW)
SAMPLES = {feed: [dict(record) for record in list(ORG.feeds[feed])[:40]] for feed in rec.FEEDS}
DELETE = object()
# Values a field may be replaced by: each one is wrong somewhere, or right somewhere unusual.
ODD_VALUES = [  # drawn kind first, so each kind of oddity is as likely as any other
    [DELETE, None],
    [True, False, 3.0, 3.5, "3", [], {}, [1]],
    ["", "x" * rec.KEY_CHARS, "x" * (rec.KEY_CHARS + 1), "y" * rec.TEXT_CHARS, "y" * (rec.TEXT_CHARS + 1), "é😀\u2028\x00"],
    [0, -1, 1, 2**53, 2**63 - 1, 2**63, 2**64, 2**70, -(2**63) - 1],
    ["2026-10-01T10:07:59Z", "2026-10-01T10:00:00Z", "2026-10-01T10:07:59+05:30", "2026-10-01T10:07:59",
     "2026-10-01T10:61:00Z", "2026-02-30T10:00:00Z"],
    ["12.5", "1.23456", "-0.0001", "1e3", "0"],
    [{"amount": 500, "currency": "usd"}, {"amount": "500", "currency": "usd"}, {"amount": 500, "currency": "USD"},
     {"amount": 500}, {"amount": 2**64, "currency": "eur", "extra": [1.5]}, {"amount": True, "currency": "eur"}],
]
ENVELOPES = [("has_more", v) for v in (True, False, 1, "true", None, DELETE)] + \
            [("next_after_seq", v) for v in (0, 5, -1, "5", 5.0, 2**64, None, DELETE)] + \
            [("data", v) for v in ({}, None, DELETE, [[]], [None])]
# Raw text a page may be spliced with: duplicate keys, escapes, bytes json.loads and msgspec read differently.
SPLICES = [b'"seq":"x",', b'"seq":1,', b'"id":"dup",', b'"x":NaN,', b'"x":"\xff",', b'"x":"\xed\xa0\x80",',
           b'"id":"\\ud800",', b'"x":"\\ud83d\\ude00",', b'"x":1e999,', b'"x":[' + b"[" * 300 + b"]" * 300 + b"],",
           b'"x":01,', b'"id":"\\u00e9t\\u00e9",']


def outcome(read) -> tuple:
    """What reading a page gives: its value, or the kind and message of its error."""
    try:
        return "ok", read()
    except Exception as error:  # noqa: BLE001 - any error must be the same on both paths
        return type(error).__name__, str(error)


def by_record(feed: str, body: bytes, limit: int) -> rec.FeedColumns:
    """The page read as before the column path: validated records, then their columns."""
    records, has_more, next_after_seq = rec.parse_feed_page(feed, body, 0, limit)
    return rec.FeedColumns(rec.record_columns(feed, records), len(records), has_more, next_after_seq)


def slowly(feed: str, body: bytes, limit: int) -> rec.FeedColumns:
    records, has_more, next_after_seq = rec._parse_page_slowly(feed, json.loads(body), 0, limit)
    return rec.FeedColumns(rec.record_columns(feed, records), len(records), has_more, next_after_seq)


def as_batch(feed: str, page: rec.FeedColumns) -> tuple:
    """The write-ready batch of a page: its values, count and envelope."""
    batch = writes.Batch(feed_columns(feed), column_values(feed, page.columns))
    return batch.values, batch.count, page.has_more, page.next_after_seq


def rows_of(feed: str, columns: dict[str, list]) -> list[tuple]:
    """column_values cut back into one tuple per record."""
    values, width = column_values(feed, columns), len(feed_columns(feed))
    return [tuple(values[at:at + width]) for at in range(0, len(values), width)]


def replaced(value: dict, key: str, new: Any) -> dict:
    changed = dict(value)
    if new is DELETE:
        changed.pop(key, None)
    else:
        changed[key] = new
    return changed


@st.composite
def pages(draw, feed: str) -> tuple[bytes, int]:
    """A page of the feed's records, perhaps broken: fields replaced or removed, extra fields, a broken
    envelope, spliced raw text, more records than asked for."""
    pool = SAMPLES[feed]
    records = [dict(pool[index]) for index in draw(st.lists(st.integers(0, len(pool) - 1), min_size=0, max_size=6))]
    next_after_seq = max((record["seq"] for record in records), default=0)
    for _ in range(draw(st.integers(0, 3))):
        if records:
            index = draw(st.integers(0, len(records) - 1))
            key = draw(st.sampled_from([*records[index], *rec.FEED_RECORDS[feed].model_fields, "unknown"]))
            records[index] = replaced(records[index], key, draw(st.sampled_from(draw(st.sampled_from(ODD_VALUES)))))
    page = {"data": records, "has_more": draw(st.booleans()), "next_after_seq": next_after_seq}
    if draw(st.integers(0, 4)) == 0:
        page = replaced(page, *draw(st.sampled_from(ENVELOPES)))
    body = json.dumps(page, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if records and draw(st.integers(0, 3)) == 0:
        body = body.replace(b'{"seq"', b'{' + draw(st.sampled_from(SPLICES)) + b'"seq"', 1)
    limit = draw(st.sampled_from([5000, max(1, len(records)), max(1, len(records) - 1)]))
    return body, limit


@pytest.mark.parametrize("feed", rec.FEEDS)
def test_a_page_read_by_column_gives_the_rows_or_the_error_of_the_record_by_record_reading(feed):
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(page=pages(feed))
    def check(page):
        body, limit = page
        expected = outcome(lambda: as_batch(feed, by_record(feed, body, limit)))
        assert outcome(lambda: as_batch(feed, rec.parse_feed_columns(feed, body, 0, limit))) == expected
        assert outcome(lambda: as_batch(feed, slowly(feed, body, limit))) == expected

    check()


@pytest.mark.parametrize("feed", rec.FEEDS)
def test_ordinary_pages_are_read_by_column_not_declined(feed):
    body = json.dumps({"data": SAMPLES[feed], "has_more": True, "next_after_seq": SAMPLES[feed][-1]["seq"]}).encode()
    page = rec._read_columns(feed, body, 5000)
    assert (page.count, page.has_more, page.next_after_seq) == (len(SAMPLES[feed]), True, SAMPLES[feed][-1]["seq"])
    records = rec.parse_feed_page(feed, body, 0)[0]
    assert column_values(feed, page.columns) == column_values(feed, rec.record_columns(feed, records))


@pytest.mark.parametrize("feed", rec.FEEDS)
def test_rows_put_every_field_in_its_column_and_money_in_amount_and_currency(feed):
    records = rec.parse_feed_page(feed, json.dumps({"data": SAMPLES[feed], "has_more": False,
                                                    "next_after_seq": 1}).encode(), 0)[0]
    columns = feed_columns(feed)
    for record, row in zip(records, rows_of(feed, rec.record_columns(feed, records)), strict=True):
        flat = {}
        for name, value in record.model_dump().items():
            if isinstance(value, dict):  # Money: "amount" and "currency" of transactions, "<field>_..." elsewhere
                prefix = "" if (feed, name) == ("transactions", "amount") else f"{name}_"
                flat.update({f"{prefix}{key}": item for key, item in value.items()})
            elif name in ("paid", "price", "fee") and value is None:
                flat.update({f"{name}_amount": None, f"{name}_currency": None})
            else:
                flat[name] = value
        assert dict(zip(columns, row, strict=True)) == {column: flat[column] for column in columns}


def test_a_page_with_more_records_than_asked_is_refused_and_a_bad_record_named_as_before():
    body = json.dumps({"data": SAMPLES["usage"][:3], "has_more": True, "next_after_seq": 3}).encode()
    with pytest.raises(ResponseTooLarge, match="3 usage records when at most 2 were asked for"):
        rec.parse_feed_columns("usage", body, 0, 2)
    bad = [SAMPLES["usage"][0], {**SAMPLES["usage"][1], "quantity": True}]
    body = json.dumps({"data": bad, "has_more": True, "next_after_seq": 3}).encode()
    assert rec.parse_feed_columns("usage", body, 0).columns["quantity"][1] == 1  # pydantic's lax int: as before
    bad[1]["id"] = "u" * (rec.KEY_CHARS + 1)
    body = json.dumps({"data": bad, "has_more": True, "next_after_seq": 3}).encode()
    with pytest.raises(rec.InvalidRecordError, match=f"feed usage seq {bad[1]['seq']}: field 'id'"):
        rec.parse_feed_columns("usage", body, 0)


def test_every_feed_model_is_within_the_column_path_and_other_definitions_are_not():
    assert all(rec._page_decoder(feed) is not None for feed in rec.FEEDS)

    class Patterned(rec.FeedRecord):
        code: Annotated[str, StringConstraints(max_length=5, pattern="^[a-z]+$")]

    class Bounded(rec.FeedRecord):
        size: Annotated[int, Field(le=10)]

    class Listed(rec.FeedRecord):
        tags: list[str]

    class Converted(rec.FeedRecord):
        price: Annotated[rec.Money, BeforeValidator(lambda value: {"amount": value, "currency": "usd"})]

    assert all(rec._fields(model) is None for model in (Patterned, Bounded, Listed, Converted))
    assert rec._fields(rec.Conversation)["unanswered"].default == 0


@given(st.lists(st.one_of(
    st.sampled_from(["2026-10-01T10:07:59Z", "1969-12-31T23:59:59Z", "2026-10-01T10:07:59+05:30", "2026-10-01 10:07:59Z",
                     "2026-10-01T10:07:59.25Z", "2026-10-01T10:60:00Z", "2026-10-01T10:07:59", "", "garbage",
                     "2026-10-01T1٠:07:59Z", "20261001T100759Z"]),
    st.datetimes(timezones=st.sampled_from([timezone.utc, None])).map(lambda moment: moment.isoformat()),
), min_size=1, max_size=5))
@settings(deadline=None)
def test_instants_read_by_column_are_exactly_parse_rfc3339s(texts):
    try:
        expected = [parse_rfc3339(text) for text in texts]
    except ValueError:
        with pytest.raises(ValueError):
            rec._instants(texts)
        return
    assert rec._instants(texts) == expected == [rec._instant(text) for text in texts]


def _odd(value: Any) -> Any:
    """A before validator whose results pydantic checks again: a negative, digits, a number past 64 bits."""
    return {"neg": -5, "text": "7", "big": 2**70}.get(value, value)


class Synthetic(rec.FeedRecord):
    """Field definitions no feed has yet, which the column path must still read exactly."""

    size: Annotated[int, BeforeValidator(_odd), Field(ge=0)]
    label: Annotated[str, BeforeValidator(str.strip), StringConstraints(max_length=3)] | None = None
    flag: bool = False


@given(st.lists(st.fixed_dictionaries({
    "size": st.sampled_from(["neg", "text", "big", "3", 3, -1, None, True]),
    "label": st.sampled_from([" ab ", "abcd ", " abcd", None, 5, DELETE]),
    "flag": st.sampled_from([True, False, 1, "true", None, DELETE]),
}), max_size=4))
@settings(max_examples=300, deadline=None, derandomize=True)
@pytest.mark.usefixtures("synthetic_feed")
def test_validators_and_bounds_of_any_field_definition_agree_too(drawn):
    records = [{key: value for key, value in record.items() if value is not DELETE} | {"seq": seq + 1, "id": f"s{seq}"}
               for seq, record in enumerate(drawn)]
    body = json.dumps({"data": records, "has_more": False, "next_after_seq": len(records)}).encode()
    assert outcome(lambda: rec.parse_feed_columns("synthetic", body, 0)) == \
        outcome(lambda: by_record("synthetic", body, 5000))


@pytest.fixture(scope="module")
def synthetic_feed():
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(rec.FEED_RECORDS, "synthetic", Synthetic)
        yield
    rec._page_decoder.cache_clear()
    rec._typed_page.cache_clear()
