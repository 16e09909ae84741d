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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from operator import attrgetter
from types import UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

import msgspec
from annotated_types import Ge
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter,
                      ValidationError)
from pydantic.fields import FieldInfo

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


# -- a page read by column -------------------------------------------------------------------------
#
# Validating 5,000 records one by one into model instances costs more than the rest of the sync's
# fetch side together. The column path decodes a page with msgspec into plain structs derived from
# the models' own field definitions (types, None, defaults, ge, max_length): msgspec checks them in C
# and vouches only for exact JSON types (an int is an int, never a bool, a float or digits in a
# string). The models' validators then run once per distinct value of a column (the credits and
# instants of a page repeat), and rows are zipped from the columns. Anything the column path does
# not vouch for (a wrong type, a missing field, a text too long, a value a validator refuses, more
# records than asked...) declines the page, and the record-by-record path reads it: the result, or
# the error, is always exactly that path's.

_REQUIRED = object()
_NONE = type(None)
_OPTIONS = frozenset({"extra", "frozen", "strict", "defer_build"})  # model settings that change nothing here
_VALIDATORS = ("validators", "field_validators", "root_validators", "model_validators")
_STRING_OPTIONS = ("strip_whitespace", "to_upper", "to_lower", "strict", "min_length", "pattern", "ascii_only")


class _Unsupported(TypeError):
    """A field definition the column path cannot reproduce exactly: its model is read record by record."""


class _Declined(Exception):
    """A page the column path does not vouch for."""


@dataclass(frozen=True)
class FeedColumns:
    """A feed page as columns: each field's values in record order, keyed by field name ("paid.amount"
    for a field of a nested model), so rows are zipped from them without a Python loop per record."""

    columns: dict[str, list]
    count: int
    has_more: bool
    next_after_seq: int


@dataclass(frozen=True)
class _Field:
    name: str
    kind: type  # int, str, bool, or a Record model
    nullable: bool
    default: Any  # _REQUIRED when the key must be present
    before: Callable[[str], Any] | None = None  # a BeforeValidator, vouched for on str inputs only
    after: Callable[[Any], Any] | None = None
    ge: int | None = None
    max_length: int | None = None

    @property
    def model(self) -> type[Record] | None:
        return self.kind if issubclass(self.kind, Record) else None


def _unwrapped(annotation: Any, metadata: list) -> tuple[Any, list, bool]:
    """(type, its metadata, whether None is allowed) of `X`, `Annotated[X, ...]` or either `| None`."""
    nullable = False
    if get_origin(annotation) in (Union, UnionType):
        others = [arg for arg in get_args(annotation) if arg is not _NONE]
        if len(others) != 1:
            raise _Unsupported(annotation)
        nullable, annotation = True, others[0]
    if get_origin(annotation) is Annotated:
        annotation, *inner = get_args(annotation)
        metadata = [*metadata, *inner]
    return annotation, metadata, nullable


def _nested_model(info: FieldInfo) -> type[Record] | None:
    kind = _unwrapped(info.annotation, info.metadata)[0]
    return kind if isinstance(kind, type) and issubclass(kind, Record) else None


def _field(name: str, info: FieldInfo) -> _Field:
    """The column checks of one model field, or _Unsupported when it uses anything else."""
    if info.alias or info.validation_alias or info.default_factory:
        raise _Unsupported(name)
    kind, metadata, nullable = _unwrapped(info.annotation, info.metadata)
    if kind not in (int, str, bool) and not (_nested_model(info) and _fields(kind)):
        raise _Unsupported(name)
    checks: dict[str, Any] = {}
    for item in metadata:
        checks.update(_check_of(item, kind, checks))
    if (checks.get("after") and len(checks) > 1) or (checks and _nested_model(info)):
        raise _Unsupported(name)  # the order of an after validator and constraints, or a model's, is not reproduced
    field = _Field(name, kind, nullable, _REQUIRED if info.is_required() else info.default, **checks)
    if field.default is not _REQUIRED and not _keeps(field, field.default):
        raise _Unsupported(name)
    return field


def _check_of(item: Any, kind: type, seen: dict[str, Any]) -> dict[str, Any]:
    """One metadata item of a field as one of _Field's checks."""
    if isinstance(item, BeforeValidator) and "before" not in seen:
        return {"before": item.func}
    if isinstance(item, AfterValidator) and "after" not in seen:
        return {"after": item.func}
    if isinstance(item, Ge) and kind is int and "ge" not in seen:
        return {"ge": item.ge}
    if (isinstance(item, StringConstraints) and kind is str and "max_length" not in seen
            and all(getattr(item, option) is None for option in _STRING_OPTIONS)):
        return {"max_length": item.max_length}
    raise _Unsupported(item)


def _keeps(field: _Field, default: Any) -> bool:
    """Whether a missing key reads as `default` here too: neither pydantic nor msgspec validates a
    default, so the validators the column path runs afterwards must leave it unchanged."""
    if field.model:
        return default is None
    if field.before is None and field.after is None:
        return True
    try:
        (value,) = _values(field, [default])
    except _Declined:
        return False
    return type(value) is type(default) and value == default


@cache
def _fields(model: type[Record]) -> dict[str, _Field] | None:
    """The column checks of every field of `model`; None when any of it is beyond the column path."""
    decorators = model.__pydantic_decorators__
    if (set(model.model_config) - _OPTIONS or model.model_config.get("extra") != "ignore"
            or any(getattr(decorators, kind) for kind in _VALIDATORS) or model.__pydantic_post_init__):
        return None
    try:
        return {name: _field(name, info) for name, info in model.model_fields.items()}
    except _Unsupported:
        return None


def _wire(field: _Field) -> tuple:
    """The field as msgspec reads it: the type it checks, and its default if it has one."""
    if field.model:
        kind = _struct(field.model)
    elif field.before is not None:
        kind = str
    else:
        kind = field.kind
        if field.ge is not None:
            kind = Annotated[kind, msgspec.Meta(ge=field.ge)]
        if field.max_length is not None:
            kind = Annotated[kind, msgspec.Meta(max_length=field.max_length)]
    if field.nullable:
        kind = kind | None
    return (field.name, kind) if field.default is _REQUIRED else (field.name, kind, field.default)


@cache
def _struct(model: type[Record]) -> type[msgspec.Struct]:
    """A plain struct of the model's fields, unknown fields ignored like the model does."""
    return msgspec.defstruct(f"{model.__name__}Wire", [_wire(field) for field in _fields(model).values()],
                             kw_only=True, gc=False)


@cache
def _envelope() -> tuple[_Field, ...]:
    """A feed page's own fields besides its records (has_more, next_after_seq)."""
    return tuple(_field(name, info) for name, info in FeedPage.model_fields.items() if name != "data")


@cache
def _page_decoder(feed: str) -> msgspec.json.Decoder | None:
    model = FEED_RECORDS[feed]
    if _fields(model) is None:
        return None
    page = msgspec.defstruct(f"{model.__name__}PageWire", [("data", list[_struct(model)]),
                                                             *map(_wire, _envelope())], kw_only=True)
    return msgspec.json.Decoder(page)


def _columns(model: type[Record], items: list, finish: Callable[[type[Record], str, list], list]) -> dict[str, list]:
    """Each field's values read from `items` (records or their structs), a nested model's as "field.name"
    columns holding None where the field is None; finish(model, name, values) completes each column."""
    columns: dict[str, list] = {}
    for name, info in model.model_fields.items():
        values = list(map(attrgetter(name), items))
        nested = _nested_model(info)
        if nested is None:
            columns[name] = finish(model, name, values)
            continue
        inner = _columns(nested, list(filter(_is_value, values)), finish)
        columns.update({f"{name}.{inner_name}": _spread(column, values) for inner_name, column in inner.items()})
    return columns


def _is_value(value: Any) -> bool:
    return value is not None


def _spread(column: list, parents: list) -> list:
    """The values of the parents that are not None, put back in place, None for the others."""
    if len(column) == len(parents):
        return column
    values = iter(column)
    return [None if parent is None else next(values) for parent in parents]


def _validated(model: type[Record], name: str, values: list) -> list:
    return _values(_fields(model)[name], values)


def _as_read(_model: type[Record], _name: str, values: list) -> list:
    return values


def _values(field: _Field, values: list) -> list:
    """A column msgspec has read, through the field's validators (the before one's result checked
    like pydantic checks it), or _Declined."""
    if field.before is not None:
        values = _mapped(field.before, values)
        present = list(filter(_is_value, values)) if field.nullable else values
        if not set(map(type, present)) <= {field.kind}:
            raise _Declined
        _check_bounds(field, present)
    return values if field.after is None else _mapped(field.after, values)


def _check_bounds(field: _Field, values: list) -> None:
    if not values:
        return
    if field.ge is not None and min(values) < field.ge:
        raise _Declined
    if field.max_length is not None and max(map(len, values)) > field.max_length:
        raise _Declined


def _mapped(validator: Callable[[Any], Any], values: list) -> list:
    """validator(value) for every value, run once per distinct value when values repeat (a page's
    hours and amounts); declines where it raises anything."""
    column_form = _COLUMN_FORMS.get(validator, _one_by_one(validator))
    distinct = set(values)
    try:
        if None not in distinct and 2 * len(distinct) > len(values):  # mostly distinct: a lookup table saves nothing
            return column_form(values)
        distinct.discard(None)
        distinct = list(distinct)
        outcome = dict(zip(distinct, column_form(distinct)))
    except Exception:  # the record path meets the same value, and says (or raises) what pydantic does
        raise _Declined from None
    outcome[None] = None
    return list(map(outcome.__getitem__, values))


def _one_by_one(validator: Callable[[Any], Any]) -> Callable[[list], list]:
    return lambda values: list(map(validator, values))


def _instants(texts: list[str]) -> list[int]:
    """_instant of every text, or an error where any of them has one: parse_rfc3339 in C-speed passes.

    A page's instants are mostly distinct to the second (conversations), where _instant's memo
    saves nothing and its Python lines cost three times these passes."""
    moments = list(map(datetime.fromisoformat, texts))
    if None in map(attrgetter("tzinfo"), moments):
        raise ValueError("time without a zone")
    return list(map(int, map(datetime.timestamp, moments)))


# Validators' column forms: the same values (and an error where any value has one) for a whole column.
_COLUMN_FORMS: dict[Callable[[Any], Any], Callable[[list], list]] = {_instant: _instants}


def _read_columns(feed: str, body: bytes, limit: int) -> FeedColumns:
    """The column path itself: a page it vouches for, or _Declined."""
    decoder = _page_decoder(feed)
    if decoder is None:
        raise _Declined
    try:
        if not body.isascii():
            body.decode("utf-8", "surrogatepass")  # what json.loads reads; msgspec skips unknown fields unread
        page = decoder.decode(body)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        raise _Declined from None
    if len(page.data) > min(limit, MAX_PAGE):
        raise _Declined
    model = FEED_RECORDS[feed]
    envelope = {field.name: _values(field, [getattr(page, field.name)])[0] for field in _envelope()}
    return FeedColumns(_columns(model, page.data, _validated), len(page.data), **envelope)


def record_columns(feed: str, records: list[FeedRecord]) -> dict[str, list]:
    """Validated records as FeedColumns' columns."""
    return _columns(FEED_RECORDS[feed], records, _as_read)


def parse_feed_columns(feed: str, body: bytes, after_seq: int, limit: int = MAX_PAGE) -> FeedColumns:
    """parse_feed_page's result as columns, read by column when the page allows it.

    Raises exactly what parse_feed_page raises, and returns the same values."""
    try:
        return _read_columns(feed, body, limit)
    except _Declined:
        records, has_more, next_after_seq = parse_feed_page(feed, body, after_seq, limit)
        return FeedColumns(record_columns(feed, records), len(records), has_more, next_after_seq)
