"""Typed API records, validated on arrival.

Credits become integer ten-thousandths and times epoch seconds here, once, so
nothing downstream parses text. Unknown fields are ignored and enum-like fields
(activity, pool, status, kind...) stay plain strings so a new value is kept, not
rejected.

Nothing from the server is trusted to be small: every string has a length limit and a
feed page may not hold more records than were asked for, so a 10 MB name or a page of a
million records is refused with a short message instead of filling memory or the cache.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter,
                      ValidationError)

from a2v2_desktop.api.errors import ResponseTooLarge
from a2v2_desktop.domain.credits import parse_credits
from a2v2_desktop.domain.times import parse_rfc3339

MEMO_LIMIT = 4096
MAX_PAGE = 5000  # the contract's largest feed page (`limit` is 1..5000)
# Ids and codes (ids, status, activity, model, zone...) are short; 512 is ten times the longest seen.
KEY_CHARS = 512
# People's text (names, emails, questions, notes) is free but not unbounded: 10,000 characters
# is a long essay, and keeps a hostile record from costing more than a few tens of kilobytes.
TEXT_CHARS = 10_000
MESSAGE_CHARS = 200  # how much of a validator's message (which may quote the input) an error keeps


def _strict_str(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _remembered(parse, memo: dict[str, int], text: str) -> int:
    """parse(text), computed once per distinct text: a feed repeats the same few amounts and hours."""
    value = memo.get(text)
    if value is None:
        value = parse(text)
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[text] = value
    return value


_CREDITS_SEEN: dict[str, int] = {}
_HOURS_SEEN: dict[str, int] = {}


def _credits(value: Any) -> int:
    if value.__class__ is str:  # the common case in one dictionary lookup: pydantic calls this per record
        units = _CREDITS_SEEN.get(value)
        if units is not None:
            return units
    return _remembered(parse_credits, _CREDITS_SEEN, _strict_str(value))


def _instant(value: Any) -> int:
    """RFC 3339 to epoch seconds; an instant seen before (every line of an hour) is one lookup,
    and "YYYY-MM-DDTHH:MM:SSZ" reuses its hour's parse.

    Anything else, or anything the shortcut doubts, goes to parse_rfc3339 itself, so the
    result and the error message are always exactly parse_rfc3339's.
    """
    if value.__class__ is str:
        seconds = _HOURS_SEEN.get(value)
        if seconds is not None:
            return seconds
    text = _strict_str(value)
    minutes, seconds = text[14:16], text[17:19]
    if (len(text) == 20 and text[13] == text[16] == ":" and text[19] == "Z" and text.isascii()
            and minutes.isdigit() and seconds.isdigit() and minutes < "60" and seconds < "60"):
        try:
            hour = _remembered(parse_rfc3339, _HOURS_SEEN, text[:13] + ":00:00Z")
        except ValueError:
            return parse_rfc3339(text)
        return hour + int(minutes) * 60 + int(seconds)
    return parse_rfc3339(text)


Credits = Annotated[int, BeforeValidator(_credits)]
Instant = Annotated[int, BeforeValidator(_instant)]
NonNegative = Annotated[int, Field(ge=0)]
Key = Annotated[str, StringConstraints(max_length=KEY_CHARS)]
Text = Annotated[str, StringConstraints(max_length=TEXT_CHARS)]


def _currency(value: str) -> str:
    if len(value) != 3 or not value.isascii() or not value.islower() or not value.isalpha():
        raise ValueError("currency must be a lowercase ISO 4217 code")
    return value


class Record(BaseModel):
    # defer_build: schemas are built at first use, not at start-up (the window imports this module)
    model_config = ConfigDict(extra="ignore", frozen=True, strict=False, defer_build=True)


class Money(Record):
    amount: int
    currency: Annotated[str, AfterValidator(_currency)]


class PaidAccess(Record):
    enabled: bool = False
    price: Money | None = None
    interval: Key | None = None


class Organization(Record):
    id: Key
    name: Text
    timezone: Key
    created_at: Instant


class Plan(Record):
    id: Key
    name: Text
    credits_per_period: Credits
    agent_limit: int | None = None
    member_limit: int | None = None


class Period(Record):
    start: Instant
    end: Instant


class Balance(Record):
    plan_credits_remaining: Credits
    topup_credits_remaining: Credits
    credits_used_this_period: Credits


class AutoRecharge(Record):
    enabled: bool
    threshold_credits: Credits | None = None
    credits_per_recharge: Credits | None = None
    price_per_recharge: Money | None = None
    max_recharges_per_month: NonNegative | None = None
    recharges_used_this_month: NonNegative | None = None
    last_recharged_at: Instant | None = None


class BillingSnapshot(Record):
    as_of: Instant
    plan: Plan
    period: Period
    balance: Balance
    auto_recharge: AutoRecharge


class Agent(Record):
    id: Key
    name: Text
    model: Key | None = None
    model_tier: Key | None = None
    status: Key
    created_at: Instant
    deleted_at: Instant | None = None
    paid_access: PaidAccess | None = None


class Member(Record):
    id: Key
    name: Text
    email: Text | None = None
    role: Key
    status: Key
    joined_at: Instant


class FeedRecord(Record):
    seq: Annotated[int, Field(ge=1)]
    id: Key


class UsageRecord(FeedRecord):
    hour: Instant
    agent_id: Key
    member_id: Key | None = None
    activity: Key
    model: Key | None = None
    pool: Key
    quantity: int
    credits: Credits


class Conversation(FeedRecord):
    agent_id: Key
    visitor_id: Key
    channel: Key | None = None
    country: Key | None = None
    started_at: Instant
    last_activity_at: Instant
    visitor_messages: NonNegative
    agent_messages: NonNegative
    unanswered: NonNegative = 0
    response_ms_total: NonNegative = 0
    feedback_up: NonNegative = 0
    feedback_down: NonNegative = 0
    credits: Credits | None = None


class UnansweredQuestion(FeedRecord):
    agent_id: Key
    conversation_id: Key | None = None
    asked_at: Instant
    question: Text


class CreditTransaction(FeedRecord):
    occurred_at: Instant
    kind: Key
    pool: Key
    credits: Credits
    paid: Money | None = None
    note: Text | None = None


class Subscription(FeedRecord):
    agent_id: Key
    subscriber_id: Key
    status: Key
    interval: Key
    price: Money
    started_at: Instant
    current_period_end: Instant | None = None
    canceled_at: Instant | None = None


class Transaction(FeedRecord):
    agent_id: Key
    subscription_id: Key | None = None
    subscriber_id: Key
    created_at: Instant
    kind: Key
    status: Key
    amount: Money
    fee: Money | None = None


FEED_RECORDS: dict[str, type[FeedRecord]] = {
    "usage": UsageRecord,
    "conversations": Conversation,
    "unanswered_questions": UnansweredQuestion,
    "credit_transactions": CreditTransaction,
    "subscriptions": Subscription,
    "transactions": Transaction,
}
FEEDS = tuple(FEED_RECORDS)


class FeedPage(Record):
    data: list[dict[str, Any]]
    has_more: bool
    next_after_seq: NonNegative


T = TypeVar("T", bound=FeedRecord)


class TypedFeedPage(Record, Generic[T]):
    """A whole page validated in one native pass, straight from the bytes.

    fail_fast: a page of a million broken records stops at the first instead of
    collecting a million errors (gigabytes); max_length refuses more than any page holds.
    """

    data: Annotated[list[T], Field(max_length=MAX_PAGE, fail_fast=True)]
    has_more: bool
    next_after_seq: NonNegative


@cache
def _typed_page(feed: str) -> TypeAdapter:
    """Built on first use: start-up does not pay for feeds it never syncs."""
    return TypeAdapter(TypedFeedPage[FEED_RECORDS[feed]])


class ListPage(Record):
    data: list[dict[str, Any]]


class InvalidRecordError(ValueError):
    """A record that breaks the contract; names the feed, the seq and the field."""

    def __init__(self, where: str, seq: object, error: ValidationError):
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(record)"
        self.where, self.seq, self.field = where, seq, field
        seq_text = f" seq {_shortened(str(seq))}" if seq is not None else ""
        super().__init__(f"invalid record in {where}{seq_text}: field '{field}': {_shortened(first['msg'])}")


def _shortened(text: str) -> str:
    """At most MESSAGE_CHARS: validators quote the input, and a 10 MB input must not become a 10 MB message."""
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 1] + "…"


def validate(model: type[Record], raw: Any, where: str) -> Record:
    """Validate one raw JSON object as `model`, raising InvalidRecordError on failure."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        seq = raw.get("seq") if isinstance(raw, dict) else None
        raise InvalidRecordError(where, seq, error) from None


@cache
def _list_of(model: type[Record]) -> TypeAdapter:
    return TypeAdapter(Annotated[list[model], Field(fail_fast=True)])


def validate_many(model: type[Record], raws: list[Any], where: str) -> list[Record]:
    """Validate a page of records in one call (fast path), naming the first bad one on failure."""
    try:
        return _list_of(model).validate_python(raws)
    except ValidationError:
        for raw in raws:
            validate(model, raw, where)
        raise


def parse_feed_page(feed: str, body: bytes, after_seq: int,
                    limit: int = MAX_PAGE) -> tuple[list[FeedRecord], bool, int]:
    """(records, has_more, next_after_seq) of a feed page's raw bytes; at most `limit` records.

    pydantic-core parses and validates the JSON in one pass, about four times faster
    than json.loads then per-record validation. Whatever it rejects is parsed again
    the slow way, which raises ValueError for unreadable JSON, ResponseTooLarge for more
    records than asked for, and InvalidRecordError naming the feed, the seq and the field.
    """
    try:
        page = _typed_page(feed).validate_json(body)
    except ValidationError:
        return _parse_page_slowly(feed, json.loads(body), after_seq, limit)
    _check_count(feed, len(page.data), limit)
    return page.data, page.has_more, page.next_after_seq


def _parse_page_slowly(feed: str, body: Any, after_seq: int,
                       limit: int = MAX_PAGE) -> tuple[list[FeedRecord], bool, int]:
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        _check_count(feed, len(body["data"]), limit)  # before anything copies or validates a million records
    page = validate(FeedPage, body, f"feed {feed} (page after {after_seq})")
    return validate_many(FEED_RECORDS[feed], page.data, f"feed {feed}"), page.has_more, page.next_after_seq


def _check_count(feed: str, count: int, limit: int) -> None:
    """A page holding more records than asked for breaks the contract: refuse all of it, save none."""
    if count > limit:
        raise ResponseTooLarge(
            f"The server sent {count:,} {feed} records when at most {limit:,} were asked for; the page was "
            "refused and nothing from it was saved. Try again later; if it keeps happening, tell A2V2 support.")
