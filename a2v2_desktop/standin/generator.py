"""A deterministic demo organization: agents, members, billing and six feeds.

The stand-in server serves what this module generates. Everything is drawn from one
random.Random(seed) in a fixed order, so the same spec and the same fixed `now` give
byte-identical data. Credits are integer ten-thousandths throughout and become
decimal strings only when a record is rendered. Usage and conversation rows are
packed into flat int64 arrays (a 3-million-row organization must fit in memory);
their dicts are built on demand.
"""

from __future__ import annotations

import json
import math
import random
import threading
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from a2v2_desktop.domain.credits import SCALE, format_credits
from a2v2_desktop.domain.times import format_rfc3339, zone

FEEDS = ("usage", "conversations", "unanswered_questions", "credit_transactions", "subscriptions", "transactions")

UTC = timezone.utc
HOUR = 3600
DAY = 86400
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "America/Sao_Paulo")

ACTIVITIES = ("message", "document", "voice", "tool")
MESSAGE, DOCUMENT, VOICE, TOOL = range(4)
POOLS = ("plan", "topup")
PLAN, TOPUP = 0, 1
MODELS = ("claude-haiku-4.5", "gpt-4.1-mini", "claude-sonnet-4.5", "gpt-5")
MODEL_UNITS = (1 * SCALE, 1 * SCALE, 3 * SCALE, 5 * SCALE)  # credits per message
PREMIUM = frozenset({2, 3})
DOCUMENT_UNITS, VOICE_UNITS, TOOL_UNITS = 25_000, 5_000, 2_500  # 2.5, 0.5, 0.25 credits

PLAN_UNITS = 6000 * SCALE  # Enterprise: 6,000 credits a month per 8 agents of traffic
RECHARGE_UNITS = 1000 * SCALE
RECHARGE_PRICE = {"amount": 2000, "currency": "usd"}
RECHARGE_CAP = 5
THRESHOLD_UNITS = 100 * SCALE
MANUAL_TOPUP_GAP = 6 * HOUR  # an Owner whose credits ran out buys more, at most this often

# Relative traffic by local hour (quiet nights) and on weekends.
DAILY = (0.08, 0.05, 0.04, 0.04, 0.05, 0.1, 0.25, 0.55, 0.95, 1.3, 1.5, 1.55,
         1.45, 1.5, 1.6, 1.55, 1.4, 1.2, 1.0, 0.85, 0.7, 0.5, 0.3, 0.15)
WEEKEND = 0.45
TURNS = (1, 1, 2, 2, 3, 3, 4, 5, 6, 8)  # agent replies in one burst of a conversation
CONTINUE = 0.3  # chance a conversation goes on in a later hour
VOICE_CHANCE = 0.08
CHANNELS = ("web", "widget", "api", "whatsapp")
COUNTRIES = ("DE", "AT", "CH", "US", "GB", "FR", "NL", "IN", "BR", "AU")

ORG_NAMES = ("Northwind Studio GmbH", "Blue Harbor Media", "Kite & Key Learning", "Orbital Bakery Co.", "Lumen Legal")
AGENT_NAMES = ("Support Assistant", "<b>Sales</b> & <script>alert(1)</script>", "Onboarding Coach", "LONG",
               "Course Helper", "Booking Desk", "FAQ Bot (DE)", "Legacy Help Center")
MEMBER_NAMES = ("Alex Owner", "Priya Raman", "Mallory \u202eregnahC\x07 Test", "Jonas Weber", "Chen Li", "Sam Ortiz")
QUESTIONS = ("Do you ship to Switzerland?", "What is the refund policy?", "Can I pay by invoice?",
             "Is there a student discount?", "How do I cancel my subscription?", "Do you have an API?",
             "Where is my order?", "Can I change my delivery address?", "Are you open on Sundays?",
             "Which languages do you support?", "Can I export my data?", "Do you offer gift cards?")
HOSTILE_QUESTION = '<img src=x onerror="alert(1)">\nWhat is your <b>refund</b> policy?\r\n\n  -- sent from my phone'


@dataclass(frozen=True)
class OrgSpec:
    """What to generate. `traffic` scales visitor traffic per agent; the plan allowance follows it."""

    seed: int = 7
    agents: int = 8
    members: int = 5
    days: int = 120
    traffic: float = 1.0


def current_records(records: Iterable[dict]) -> dict[str, dict]:
    """The current version of each record: the one with the highest seq per id."""
    current: dict[str, dict] = {}
    for record in records:
        held = current.get(record["id"])
        if held is None or record["seq"] > held["seq"]:
            current[record["id"]] = record
    return current


class Feed(Sequence):
    """The records of one feed in strictly increasing seq; seqs may have gaps."""

    def __init__(self) -> None:
        self.seqs = array("q")
        self.next_seq = 1

    def __len__(self) -> int:
        return len(self.seqs)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._record(i) for i in range(*index.indices(len(self)))]
        return self._record(range(len(self))[index])

    def __iter__(self) -> Iterator[dict]:
        return (self._record(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Feed) and list(self) == list(other)

    def position(self, after_seq: int) -> int:
        """Index of the first record with seq > after_seq."""
        return bisect_right(self.seqs, after_seq)

    def encode(self, index: int) -> str:
        """One record as compact JSON, exactly what the server sends."""
        return json.dumps(self._record(index), separators=(",", ":"))

    def _take_seq(self) -> int:
        seq = self.next_seq
        self.seqs.append(seq)
        self.next_seq += 1
        return seq

    def _record(self, index: int) -> dict:
        raise NotImplementedError


class ListFeed(Feed):
    """A small feed kept as plain dicts."""

    def __init__(self) -> None:
        super().__init__()
        self._records: list[dict] = []

    def add(self, fields: dict) -> dict:
        record = {"seq": self._take_seq(), **fields}
        self._records.append(record)
        return record

    def _record(self, index: int) -> dict:
        return dict(self._records[index])


class PackedFeed(Feed):
    """A large feed kept as fixed-width rows of integers in one array (seq first)."""

    def __init__(self, width: int, render, encoder=None) -> None:
        super().__init__()
        self.width = width
        self.rows = array("q")
        self._render = render
        if encoder is not None:
            self.encode = encoder

    def add(self, row: tuple) -> int:
        seq = self._take_seq()
        self.rows.append(seq)
        self.rows.extend(row)
        return seq

    def skip_seq(self) -> None:
        """Leave a gap, as a real server does when it voids a record."""
        self.next_seq += 1

    def row(self, index: int) -> array:
        return self.rows[index * self.width:(index + 1) * self.width]

    def _record(self, index: int) -> dict:
        return self._render(self.row(index))


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth for small means (one draw when traffic is quiet), normal beyond."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1)


def _variant(rng: random.Random, question: str) -> str:
    """The same question as visitors type it: case and whitespace differ."""
    roll = rng.random()
    if roll < 0.5:
        return question
    if roll < 0.65:
        return question.lower()
    if roll < 0.75:
        return question.upper()
    if roll < 0.9:
        return "  " + question.replace(" ", "  ", 1)
    return question.rstrip("?") + " ?\n"


@dataclass
class _PaidStory:
    """Counters and events shared by all subscribers while paid access is generated."""

    subscriptions: int = 0
    transactions: int = 0
    failed: bool = False
    refunded: bool = False
    events: list = field(default_factory=list)


class DemoOrg:
    """A generated organization; `now=None` is live (the clock moves), a fixed time freezes it."""

    def __init__(self, spec: OrgSpec = OrgSpec(), now: datetime | None = None) -> None:
        if spec.agents < 4 or spec.members < 3 or spec.days < 7:
            raise ValueError("a demo organization needs at least 4 agents, 3 members and 7 days")
        if now is not None and now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.spec = spec
        self.frozen = now is not None
        self.now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        self.lock = threading.Lock()
        self._rng = rng = random.Random(spec.seed)
        end = int(self.now.timestamp())
        self._start = start = end - end % HOUR - spec.days * DAY
        self._span = end - start
        self.tz = zone(ZONES[(spec.seed - 7) % len(ZONES)])
        self._allowance = PLAN_UNITS * max(1, round(spec.agents * spec.traffic / 8))

        self._setup_billing(rng, start)
        self._setup_agents(rng, start)
        self._setup_members(rng, start)
        self._setup_ledger(start)
        self._setup_feeds()
        self._simulate(start, end)
        self._paid_access(rng, end)

    # ---- the organization, its people and agents -------------------------------------

    def _setup_billing(self, rng: random.Random, start: int) -> None:
        """Monthly periods renew on one day of the month at one UTC hour."""
        first = datetime.fromtimestamp(start, UTC).replace(day=(self.spec.seed * 5) % 28 + 1, hour=rng.randrange(24))
        if first.timestamp() > start:
            first = _add_months(first, -1)
        self._anchor = first
        self._period_index = 0
        self._period_start = int(first.timestamp())
        self._period_end = int(_add_months(first, 1).timestamp())
        created = self._period_start - rng.randrange(30, 200) * DAY - rng.randrange(DAY)
        self._created = created
        self.organization = {
            "id": f"org_{rng.getrandbits(40):010x}",
            "name": ORG_NAMES[self.spec.seed % len(ORG_NAMES)],
            "timezone": self.tz.key,
            "created_at": format_rfc3339(created),
        }

    def _setup_agents(self, rng: random.Random, start: int) -> None:
        n, span = self.spec.agents, self._span
        self._deleted = n - 1
        self._paused = n - 2 if n >= 6 else None
        self._launch = 2
        self.agents = []
        self._agent_ids: list[str] = []
        self._model: list[int] = []
        self._active: list[tuple[int, int]] = []  # [from, to) when the agent answers visitors
        weights = []
        for i in range(n):
            if i < len(AGENT_NAMES):
                name = AGENT_NAMES[i]
            else:
                name = f"{rng.choice(('Store', 'Course', 'Clinic', 'Studio', 'Shop'))} Assistant {i}"
            if name == "LONG":
                name = ("Product documentation and knowledge base assistant for every region " * 80)[:5000]
            model = {0: 0, 2: 2, 5: 3}.get(i, rng.choices((0, 1, 2, 3), (70, 10, 12, 8))[0])
            created = self._created + rng.randrange(max(1, start - self._created))
            if i == self._launch:
                local = datetime.fromtimestamp(start + int(span * 0.55), self.tz).replace(hour=9, minute=0, second=0)
                created = int(local.timestamp())
            until = 2 ** 62
            status, deleted_at = "active", None
            if i == self._deleted:
                until = deleted_at = start + int(span * 0.45)
                status = "deleted"
            elif i == self._paused:
                until, status = start + int(span * 0.9), "paused"
            agent_id = f"agt_{rng.getrandbits(48):012x}"
            self._agent_ids.append(agent_id)
            self._model.append(model)
            self._active.append((created, until))
            weights.append(rng.uniform(0.6, 1.4) * (0.5 if model in PREMIUM else 1.0))
            self.agents.append({
                "id": agent_id, "name": name, "model": MODELS[model],
                "model_tier": "premium" if model in PREMIUM else "standard", "status": status,
                "created_at": format_rfc3339(created),
                "deleted_at": format_rfc3339(deleted_at) if deleted_at else None,
                "paid_access": {"enabled": False, "price": None, "interval": None},
            })
        eligible = [i for i in range(n) if i not in (self._deleted, self._paused, self._launch)]
        self._runaway = rng.choice(eligible)
        self.runaway_agent_id = self._agent_ids[self._runaway]
        self._tool_chance = [rng.uniform(0.2, 0.6) for _ in range(n)]
        self._unanswered_chance = [rng.uniform(0.02, 0.08) for _ in range(n)]

        # Conversations an agent starts per hour at average rhythm, so that a month of
        # spend comes close to the plan allowance (growth makes it 75%..125%).
        target_per_hour = PLAN_UNITS * n * self.spec.traffic / 8 / (30.44 * 24)
        total_weight = sum(weights)
        turns, segments = sum(TURNS) / len(TURNS), 1 / (1 - CONTINUE)
        self._conv_rate = []
        self._conv_units = []
        for i in range(n):
            per_conv = segments * (turns * (MODEL_UNITS[self._model[i]] + self._tool_chance[i] * TOOL_UNITS)
                                   + VOICE_CHANCE * 1.5 * VOICE_UNITS)
            self._conv_units.append(per_conv)
            self._conv_rate.append(target_per_hour * weights[i] / total_weight / per_conv)

        # The runaway: a misconfigured integration hammers one agent for 6-10 hours in
        # the last three days, spending more than the demo's monthly allowance.
        end_hour = start + self.spec.days * DAY
        hours = rng.randint(6, 10)
        self._runaway_from = end_hour - rng.randint(30, 60) * HOUR
        self._runaway_to = self._runaway_from + hours * HOUR
        self._runaway_rate = 1.6 * PLAN_UNITS / hours / self._conv_units[self._runaway]

    def _setup_members(self, rng: random.Random, start: int) -> None:
        n = self.spec.members
        self._removed = n - 1
        self.members = []
        self._member_ids: list[str] = []
        self._member_active: list[tuple[int, int]] = []
        for i in range(n):
            name = MEMBER_NAMES[i] if i < len(MEMBER_NAMES) else f"Team Member {i}"
            joined = self._created + (0 if i == 0 else rng.randrange(max(1, start - self._created)))
            until = start + int(self._span * 0.4) if i == self._removed else 2 ** 62
            member_id = f"mem_{rng.getrandbits(40):010x}"
            self._member_ids.append(member_id)
            self._member_active.append((joined, until))
            email = None if i == 3 else "".join(c for c in name.lower() if c.isascii() and c.isalpha()) + "@example.com"
            self.members.append({
                "id": member_id, "name": name, "email": email,
                "role": "owner" if i == 0 else ("admin" if i == 1 else "member"),
                "status": "removed" if i == self._removed else "active",
                "joined_at": format_rfc3339(joined),
            })

    # ---- feeds and their rendering -------------------------------------------------------

    def _setup_feeds(self) -> None:
        self._hour_text: dict[int, str] = {}
        self._credit_text: dict[int, str] = {}
        # Index -1 (null) is the last element of these lookup lists.
        self._member_json = [json.dumps(m) for m in self._member_ids] + ["null"]
        self._model_json = [json.dumps(m) for m in MODELS] + ["null"]
        self._usage = PackedFeed(10, self._render_usage, self._encode_usage)
        self._conversations = PackedFeed(15, self._render_conversation)
        self._questions = ListFeed()
        self._credit_transactions = ListFeed()
        self._subscriptions = ListFeed()
        self._transactions = ListFeed()
        self.feeds = {
            "usage": self._usage, "conversations": self._conversations, "unanswered_questions": self._questions,
            "credit_transactions": self._credit_transactions, "subscriptions": self._subscriptions,
            "transactions": self._transactions,
        }
        for kind, pool, units, paid, note in self._opening_transactions:
            self._credit_transactions.add(self._credit_fields(self._period_start, kind, pool, units, paid, note))

    def _hour(self, epoch: int) -> str:
        text = self._hour_text.get(epoch)
        if text is None:
            text = self._hour_text[epoch] = format_rfc3339(epoch)
        return text

    def _credits(self, units: int) -> str:
        text = self._credit_text.get(units)
        if text is None:
            text = self._credit_text[units] = format_credits(units)
        return text

    def _render_usage(self, row) -> dict:
        seq, idn, hour, agent, member, activity, model, pool, quantity, units = row
        return {
            "seq": seq, "id": f"usg_{idn:08d}", "hour": self._hour(hour), "agent_id": self._agent_ids[agent],
            "member_id": self._member_ids[member] if member >= 0 else None, "activity": ACTIVITIES[activity],
            "model": MODELS[model] if model >= 0 else None, "pool": POOLS[pool], "quantity": quantity,
            "credits": self._credits(units),
        }

    def _encode_usage(self, index: int) -> str:
        """The hot path of the server: a usage record as JSON without building a dict."""
        seq, idn, hour, agent, member, activity, model, pool, quantity, units = self._usage.row(index)
        return (f'{{"seq":{seq},"id":"usg_{idn:08d}","hour":"{self._hour(hour)}","agent_id":"{self._agent_ids[agent]}",'
                f'"member_id":{self._member_json[member]},"activity":"{ACTIVITIES[activity]}",'
                f'"model":{self._model_json[model]},"pool":"{POOLS[pool]}","quantity":{quantity},'
                f'"credits":"{self._credits(units)}"}}')

    def _render_conversation(self, row) -> dict:
        (seq, idn, agent, visitor, channel, country, started, last, visitor_messages, agent_messages, unanswered,
         response_ms, up, down, units) = row
        return {
            "seq": seq, "id": f"conv_{idn:07d}", "agent_id": self._agent_ids[agent], "visitor_id": f"vis_{visitor:07d}",
            "channel": CHANNELS[channel], "country": COUNTRIES[country] if country >= 0 else None,
            "started_at": format_rfc3339(started), "last_activity_at": format_rfc3339(last),
            "visitor_messages": visitor_messages, "agent_messages": agent_messages, "unanswered": unanswered,
            "response_ms_total": response_ms, "feedback_up": up, "feedback_down": down,
            "credits": format_credits(units),
        }

    # ---- the credit ledger ---------------------------------------------------------------

    def _setup_ledger(self, start: int) -> None:
        """Pools as of the first period start, and two support adjustments."""
        self._plan = self._allowance
        self._topup = 0
        self._recharges = 0
        self._last_recharge: int | None = None
        self._last_manual = -(2 ** 62)
        self._used_by_hour: dict[int, int] = defaultdict(int)
        self._ct_count = 0
        self._opening_transactions = [("period_grant", PLAN, self._allowance, None, None)]
        self._scheduled: dict[int, list] = defaultdict(list)  # hour -> things that arrive then
        for fraction, kind, pool, units, paid, note in (
                (0.33, "adjustment", PLAN, 50 * SCALE, None, "Goodwill credit after the outage on the 3rd"),
                (0.7, "adjustment", TOPUP, 125 * SCALE // 10, None, "Correction: voice transcription billed twice")):
            hour = start + int(self._span * fraction) // HOUR * HOUR
            self._scheduled[hour].append(("ledger", kind, pool, units, paid, note))
        self._usage_ids = 0
        self._conversation_ids = 0
        self._visitor_ids = 0
        self._visitors: list[list[int]] = [[] for _ in range(self.spec.agents)]
        self._bot_visitor = None

    def _credit_fields(self, t: int, kind: str, pool: int, units: int, paid, note) -> dict:
        self._ct_count += 1
        return {"id": f"ctx_{self._ct_count:06d}", "occurred_at": format_rfc3339(t), "kind": kind,
                "pool": POOLS[pool], "credits": format_credits(units), "paid": dict(paid) if paid else None,
                "note": note}

    def _ledger(self, t: int, kind: str, pool: int, units: int, paid=None, note=None) -> None:
        if pool == PLAN:
            self._plan += units
        else:
            self._topup += units
        self._credit_transactions.add(self._credit_fields(t, kind, pool, units, paid, note))

    def _renew(self) -> None:
        """At the period end the unused plan credits expire and the allowance is granted again."""
        t = self._period_end
        if self._plan:
            self._ledger(t, "period_expiry", PLAN, -self._plan)
        self._ledger(t, "period_grant", PLAN, self._allowance)
        self._period_index += 1
        self._period_start = t
        self._period_end = int(_add_months(self._anchor, self._period_index + 1).timestamp())
        self._recharges = 0

    def _recharge(self, t: int) -> None:
        self._recharges += 1
        self._last_recharge = t
        self._ledger(t, "auto_recharge", TOPUP, RECHARGE_UNITS, RECHARGE_PRICE)

    def _charge(self, units: int, t: int) -> int | None:
        """Take credits for one usage line: plan first, then top-up; None = visitor turned away."""
        while self._plan < units and self._topup < units:
            if self._recharges < RECHARGE_CAP:
                self._recharge(t)
            elif t - self._last_manual >= MANUAL_TOPUP_GAP:
                self._last_manual = t
                self._ledger(t, "top_up", TOPUP, RECHARGE_UNITS, RECHARGE_PRICE)
            else:
                return None
        if self._plan >= units:
            self._plan -= units
            pool = PLAN
        else:
            self._topup -= units
            pool = TOPUP
        if self._plan + self._topup < THRESHOLD_UNITS and self._recharges < RECHARGE_CAP:
            self._recharge(t)
        return pool

    def _refund(self, pool: int, units: int) -> None:
        if pool == PLAN:
            self._plan += units
        else:
            self._topup += units

    # ---- usage lines -----------------------------------------------------------------------

    def _usage_line(self, hour: int, t: int, agent: int, member: int, activity: int, model: int,
                    quantity: int, units: int) -> bool:
        """Bill one line now, or schedule it to arrive late; False if it could not be paid."""
        rng = self._rng
        if rng.random() < 0.01:
            self._scheduled[hour + rng.randint(2, 96) * HOUR].append(
                ("late", hour, agent, member, activity, model, quantity, units))
            return True
        return self._emit_usage(hour, t, agent, member, activity, model, quantity, units)

    def _emit_usage(self, hour: int, t: int, agent: int, member: int, activity: int, model: int,
                    quantity: int, units: int) -> bool:
        pool = self._charge(units, t)
        if pool is None:
            return False
        rng = self._rng
        self._usage_ids += 1
        idn = self._usage_ids
        if rng.random() < 0.002:
            self._usage.skip_seq()
        self._usage.add((idn, hour, agent, member, activity, model, pool, quantity, units))
        self._used_by_hour[hour] += units
        roll = rng.random()
        if roll < 0.001:
            later = t - t % HOUR + rng.randint(1, 48) * HOUR
            self._scheduled[later].append(("refund", hour, agent, member, activity, model, pool, quantity, units))
        elif roll < 0.0015:  # re-sent later under the same id with corrected (halved) credits
            later = t - t % HOUR + rng.randint(1, 72) * HOUR
            self._scheduled[later].append(("correct", idn, hour, agent, member, activity, model, pool, quantity, units))
        return True

    def _arrive(self, item: tuple, t: int, end: int) -> None:
        """Something scheduled earlier arrives: a late line, a refund, a correction, a top-up."""
        kind = item[0]
        if kind == "late":
            self._emit_usage(item[1], t, *item[2:])
        elif kind == "refund":
            hour, agent, member, activity, model, pool, quantity, units = item[1:]
            self._refund(pool, units)
            self._usage_ids += 1
            self._usage.add((self._usage_ids, hour, agent, member, activity, model, pool, -quantity, -units))
            self._used_by_hour[hour] -= units
        elif kind == "correct":
            idn, hour, agent, member, activity, model, pool, quantity, units = item[1:]
            corrected = units // 2
            self._refund(pool, units - corrected)
            self._usage.add((idn, hour, agent, member, activity, model, pool, quantity, corrected))
            self._used_by_hour[hour] -= units - corrected
        elif kind == "ledger":
            self._ledger(t, *item[1:])
        else:
            self._segment(item[1], t, end)

    # ---- conversations -----------------------------------------------------------------------

    def _start_conversation(self, agent: int, t: int, end: int, runaway: bool) -> None:
        rng = self._rng
        if runaway:
            if self._bot_visitor is None:
                self._visitor_ids += 1
                self._bot_visitor = self._visitor_ids
            visitor, channel, country = self._bot_visitor, 2, -1
        else:
            known = self._visitors[agent]
            if known and rng.random() < 0.3:
                visitor = rng.choice(known)
            else:
                self._visitor_ids += 1
                visitor = self._visitor_ids
                known.append(visitor)
            channel = rng.choices((0, 1, 2, 3), (50, 35, 5, 10))[0]
            country = rng.randrange(len(COUNTRIES)) if rng.random() < 0.9 else -1
        self._conversation_ids += 1
        # idn, agent, visitor, channel, country, started, last, visitor/agent messages, unanswered,
        # response ms, feedback up/down, credits
        conversation = [self._conversation_ids, agent, visitor, channel, country, t, t, 0, 0, 0, 0, 0, 0, 0]
        self._segment(conversation, t, end)

    def _segment(self, conversation: list, t: int, end: int) -> None:
        """A burst of replies: usage lines, unanswered questions, then the updated conversation."""
        rng = self._rng
        agent = conversation[1]
        model = self._model[agent]
        cost = MODEL_UNITS[model]
        hour = t - t % HOUR
        turns = rng.choice(TURNS)
        answered = spent = 0
        while answered < turns:
            quantity = 2 if turns - answered >= 2 and rng.random() < 0.1 else 1
            if not self._usage_line(hour, t, agent, -1, MESSAGE, model, quantity, quantity * cost):
                break
            answered += quantity
            spent += quantity * cost
        for _ in range(answered):  # each tool run is billed on its own line
            if rng.random() < self._tool_chance[agent] \
                    and self._usage_line(hour, t, agent, -1, TOOL, -1, 1, TOOL_UNITS):
                spent += TOOL_UNITS
        if answered and rng.random() < VOICE_CHANCE:
            recordings = rng.randint(1, 2)
            if self._usage_line(hour, t, agent, -1, VOICE, -1, recordings, recordings * VOICE_UNITS):
                spent += recordings * VOICE_UNITS
        last = min(t + answered * rng.randint(15, 90), end - 1)
        unanswered = 0
        for _ in range(answered):
            if rng.random() < self._unanswered_chance[agent]:
                unanswered += 1
                self._unanswered_question(agent, conversation[0], last)
        conversation[6] = last
        conversation[7] += max(1, answered + (rng.random() < 0.2))  # a turned-away visitor still wrote
        conversation[8] += answered
        conversation[9] += unanswered
        conversation[10] += sum(rng.randint(600, 4500 if model in PREMIUM else 2500) for _ in range(answered))
        conversation[11] += rng.random() < 0.15
        conversation[12] += rng.random() < 0.05
        conversation[13] += spent
        self._conversations.add(tuple(conversation))
        if answered and rng.random() < CONTINUE:
            later = hour + rng.choice((1, 1, 2, 3, 5, 20, 26)) * HOUR
            self._scheduled[later].append(("continue", conversation))

    def _unanswered_question(self, agent: int, conversation_id: int, t: int) -> None:
        rng = self._rng
        if len(self._questions) == 3:
            question = HOSTILE_QUESTION
        else:
            question = _variant(rng, QUESTIONS[min(int(rng.expovariate(0.35)), len(QUESTIONS) - 1)])
        self._questions.add({"id": f"unq_{len(self._questions) + 1:07d}", "agent_id": self._agent_ids[agent],
                             "conversation_id": f"conv_{conversation_id:07d}" if rng.random() < 0.95 else None,
                             "asked_at": format_rfc3339(t), "question": question})

    # ---- time ---------------------------------------------------------------------------------

    def _rhythm(self, hour: int) -> float:
        """Traffic at this hour relative to the average: daily and weekly rhythm times growth."""
        local = datetime.fromtimestamp(hour, self.tz)
        weekly = WEEKEND if local.weekday() >= 5 else 1.0
        growth = 0.65 + 0.7 * (hour - self._start) / self._span
        return DAILY[local.hour] * weekly * growth / (sum(DAILY) / 24 * (5 + 2 * WEEKEND) / 7)

    def _simulate(self, t0: int, t1: int) -> int:
        """Everything that happens in [t0, t1), hour by hour; returns the number of usage lines added."""
        rng = self._rng
        before = len(self._usage)
        n = self.spec.agents
        hour = t0 - t0 % HOUR
        while hour < t1:
            lo, hi = max(t0, hour), min(t1, hour + HOUR)
            if lo == hour:
                while self._period_end <= hour:
                    self._renew()
                for item in self._scheduled.pop(hour, ()):
                    self._arrive(item, lo + int(rng.random() * (hi - lo)), hi)
            frac = (hi - lo) / HOUR
            rhythm = self._rhythm(hour) * frac
            runaway = self._runaway_from <= hour < self._runaway_to
            for agent in range(n):
                active_from, active_to = self._active[agent]
                if not active_from <= lo < active_to:
                    continue
                lam = self._conv_rate[agent] * rhythm
                if agent == self._launch and hour - active_from < 3 * DAY:
                    lam *= 1 + 5 * 0.5 ** ((hour - active_from) / (12 * HOUR))
                for _ in range(_poisson(rng, lam)):
                    self._start_conversation(agent, lo + int(rng.random() * (hi - lo)), hi, False)
                if runaway and agent == self._runaway:
                    for _ in range(_poisson(rng, self._runaway_rate * frac)):
                        self._start_conversation(agent, lo + int(rng.random() * (hi - lo)), hi, True)
            self._team_activity(hour, lo, hi, frac)
            hour += HOUR
        if not self.frozen and len(self._usage) == before and t1 - t0 >= 1:
            live = [a for a in range(n) if self._active[a][0] <= t1 - 1 < self._active[a][1]]
            self._start_conversation(rng.choice(live), t1 - 1, t1, False)
        return len(self._usage) - before

    def _team_activity(self, hour: int, lo: int, hi: int, frac: float) -> None:
        """Members test agents and add documents during local working hours."""
        local = datetime.fromtimestamp(hour, self.tz)
        if local.weekday() >= 5 or not 8 <= local.hour < 18:
            return
        rng = self._rng
        for member in range(self.spec.members):
            joined, until = self._member_active[member]
            if not joined <= lo < until or rng.random() >= 0.03 * frac:
                continue
            agents = [a for a in range(self.spec.agents) if self._active[a][0] <= lo < self._active[a][1]]
            agent = rng.choice(agents)
            t = lo + int(rng.random() * (hi - lo))
            if rng.random() < 0.6:
                quantity = rng.randint(1, 4)
                model = self._model[agent]
                self._usage_line(hour, t, agent, member, MESSAGE, model, quantity, quantity * MODEL_UNITS[model])
            else:
                quantity = rng.randint(1, 2)
                self._usage_line(hour, t, agent, member, DOCUMENT, -1, quantity, quantity * DOCUMENT_UNITS)

    # ---- paid access -----------------------------------------------------------------------------

    def _paid_access(self, rng: random.Random, end: int) -> None:
        """Visitors subscribe to paid agents: trials, charges, renewals, a failure, a refund, cancels."""
        offers = (({"amount": 999, "currency": "usd"}, "month", 30), ({"amount": 4900, "currency": "usd"}, "year", 365),
                  ({"amount": 1999, "currency": "usd"}, "month", 30))
        candidates = [a for a in range(self.spec.agents) if a not in (self._deleted, self._runaway)]
        story = _PaidStory()
        for number, agent in enumerate(candidates[:max(2, self.spec.agents // 4)]):
            price, interval, days = offers[number % len(offers)]
            self.agents[agent]["paid_access"] = {"enabled": True, "price": dict(price), "interval": interval}
            t = max(self._active[agent][0], self._start) + rng.randrange(3 * DAY)
            while t < end:
                self._subscriber(rng, story, agent, t, price, interval, days * DAY, end)
                t += int(rng.expovariate(1 / (2.5 * DAY)))
        story.events.sort(key=lambda event: (event[0], event[1]))
        for t, _, feed, fields in story.events:
            if t <= end:
                self.feeds[feed].add(fields)

    def _subscriber(self, rng: random.Random, story: "_PaidStory", agent: int, t: int, price: dict, interval: str,
                    period: int, end: int) -> None:
        """One subscriber's history, as events in time order (seqs are given after sorting)."""
        story.subscriptions += 1
        subscription = {"id": f"sub_{story.subscriptions:06d}", "agent_id": self._agent_ids[agent],
                        "subscriber_id": f"cus_{rng.getrandbits(40):010x}", "status": "trialing",
                        "interval": interval, "price": dict(price), "started_at": format_rfc3339(t),
                        "current_period_end": None, "canceled_at": None}

        def send(moment: int, **changes) -> None:
            subscription.update(changes)
            story.events.append((moment, len(story.events), "subscriptions", dict(subscription)))

        def pay(moment: int, kind: str, status: str, fee: int | None) -> None:
            story.transactions += 1
            story.events.append((moment, len(story.events), "transactions", {
                "id": f"txn_{story.transactions:06d}", "agent_id": subscription["agent_id"],
                "subscription_id": subscription["id"], "subscriber_id": subscription["subscriber_id"],
                "created_at": format_rfc3339(moment), "kind": kind, "status": status, "amount": dict(price),
                "fee": {"amount": fee, "currency": price["currency"]} if fee is not None else None}))

        fee = price["amount"] * 29 // 1000 + 30  # 2.9% + 30 cents
        if rng.random() < 0.5:
            send(t, current_period_end=format_rfc3339(t + 7 * DAY))
            t += 7 * DAY
            if rng.random() < 0.2:
                send(t, status="canceled", canceled_at=format_rfc3339(t))
                return
        while t <= end:
            if not story.failed and t > self._start + 20 * DAY:
                story.failed = True
                pay(t, "charge", "failed", None)
                send(t, status="past_due")
                t += 2 * DAY
            pay(t, "charge", "succeeded", fee)
            send(t, status="active", current_period_end=format_rfc3339(t + period))
            if not story.refunded and t > self._start + 30 * DAY:
                story.refunded = True
                pay(t + DAY, "refund", "succeeded", 30)
                send(t + DAY, status="canceled", canceled_at=format_rfc3339(t + DAY))
                return
            if rng.random() < 0.15:
                cancel = t + rng.randrange(period)
                send(cancel, status="canceled", canceled_at=format_rfc3339(cancel))
                return
            t += period

    # ---- the public face -------------------------------------------------------------------------

    def billing(self) -> dict:
        """The BillingSnapshot as of self.now, agreeing with the ledger."""
        start = self._period_start
        used = sum(units for hour, units in self._used_by_hour.items() if hour >= start)
        last = self._last_recharge
        return {
            "as_of": format_rfc3339(int(self.now.timestamp())),
            "plan": {"id": "plan_enterprise", "name": "Enterprise",
                     "credits_per_period": format_credits(self._allowance),
                     "agent_limit": max(3, self.spec.agents), "member_limit": max(5, self.spec.members)},
            "period": {"start": format_rfc3339(start), "end": format_rfc3339(self._period_end)},
            "balance": {"plan_credits_remaining": format_credits(self._plan),
                        "topup_credits_remaining": format_credits(self._topup),
                        "credits_used_this_period": format_credits(used)},
            "auto_recharge": {"enabled": True, "threshold_credits": format_credits(THRESHOLD_UNITS),
                              "credits_per_recharge": format_credits(RECHARGE_UNITS),
                              "price_per_recharge": dict(RECHARGE_PRICE), "max_recharges_per_month": RECHARGE_CAP,
                              "recharges_used_this_month": self._recharges,
                              "last_recharged_at": format_rfc3339(last) if last else None},
        }

    def advance(self, now: datetime) -> int:
        """Live mode: simulate up to `now` and return how many usage lines were added (0 when frozen)."""
        now = now.astimezone(UTC).replace(microsecond=0)
        if self.frozen or now <= self.now:
            return 0
        added = self._simulate(int(self.now.timestamp()), int(now.timestamp()))
        self.now = now
        return added
