"""The Answer quality tab: how often the agent could not answer, what visitors thought, and
which questions it could not answer.

Shares come from the conversations started in the range (unanswered replies over
agent replies, thumbs up over all thumbs), the same rows the Overview counts.
Unanswered questions are untrusted text: they are grouped by a normalized form and
exported with every cell that a spreadsheet would run as a formula neutralized.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from a2v2_desktop.cache import analytics_queries as aq
from a2v2_desktop.cache.analytics_queries import ConversationTotals, Question
from a2v2_desktop.insights.analytics_base import COUNT, PERCENT, Bucketing, Kpi, Scope, local_time_text, ratio

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("Question", "Times asked", "First asked", "Last asked", "Conversations")


@dataclass(frozen=True)
class QuestionGroup:
    """One question however visitors typed it: its most common wording, counts and where it was asked."""

    key: str
    text: str
    count: int
    first_asked: int
    last_asked: int
    conversation_ids: tuple[str, ...]


@dataclass(frozen=True)
class AnswerQuality:
    kpis: tuple[Kpi, ...]
    replies: tuple[int, ...]  # agent replies per bucket
    unanswered: tuple[int, ...]
    thumbs_up: tuple[int, ...]
    thumbs_down: tuple[int, ...]
    questions: tuple[QuestionGroup, ...]

    @property
    def unanswered_share(self) -> tuple[Fraction | None, ...]:
        return tuple(ratio(missed, replies) for missed, replies in zip(self.unanswered, self.replies))


def build_quality(connection: Connection, scope: Scope, agent_id: str, bucketing: Bucketing,
                  starts: list[tuple[int, ConversationTotals]],
                  previous_starts: list[tuple[int, ConversationTotals]]) -> AnswerQuality:
    questions = aq.unanswered_questions(connection, agent_id, *scope.bounds())
    earlier = aq.unanswered_questions(connection, agent_id, *scope.previous_bounds)
    now, before = total(starts), total(previous_starts)
    kpis = (
        Kpi("Unanswered replies", ratio(now.unanswered, now.agent_messages),
            ratio(before.unanswered, before.agent_messages), PERCENT,
            "Share of the agent's replies flagged as not able to answer.", lower_is_better=True),
        Kpi("Unanswered questions", len(questions), len(earlier), COUNT,
            "Questions visitors asked that the agent could not answer.", lower_is_better=True),
        Kpi("Thumbs up", now.feedback_up, before.feedback_up, COUNT, "Replies visitors rated helpful."),
        Kpi("Thumbs down", now.feedback_down, before.feedback_down, COUNT, "Replies visitors rated unhelpful.",
            lower_is_better=True),
        Kpi("Positive feedback", ratio(now.feedback_up, now.feedback_up + now.feedback_down),
            ratio(before.feedback_up, before.feedback_up + before.feedback_down), PERCENT,
            "Thumbs up among all thumbs."),
    )
    series = {name: bucketing.zeros() for name in ("agent_messages", "unanswered", "feedback_up", "feedback_down")}
    for moment, totals in starts:
        position = bucketing.position(moment)
        for name, values in series.items():
            values[position] += getattr(totals, name)
    replies, missed, up, down = (tuple(values) for values in series.values())
    return AnswerQuality(kpis, replies, missed, up, down, tuple(group_questions(questions)))


def total(starts: Iterable[tuple[int, ConversationTotals]]) -> ConversationTotals:
    """Sums of the per-quarter-hour totals."""
    names = [f.name for f in fields(ConversationTotals)]
    sums = dict.fromkeys(names, 0)
    for _moment, totals in starts:
        for name in names:
            sums[name] += getattr(totals, name)
    return ConversationTotals(**sums)


def _trimmed(character: str) -> bool:
    return character.isspace() or unicodedata.category(character).startswith("P")


def normalize_question(question: str) -> str:
    """Casefolded, runs of whitespace made one space, punctuation and spaces stripped at both ends."""
    folded = " ".join(question.casefold().split())
    start, end = 0, len(folded)
    while start < end and _trimmed(folded[start]):
        start += 1
    while end > start and _trimmed(folded[end - 1]):
        end -= 1
    return folded[start:end]


def group_questions(questions: Iterable[Question]) -> list[QuestionGroup]:
    """Questions grouped by normalized text, most asked first (then most recent)."""
    grouped: dict[str, list[Question]] = defaultdict(list)
    for question in questions:
        grouped[normalize_question(question.text)].append(question)
    groups = [_group(key, asked) for key, asked in grouped.items()]
    return sorted(groups, key=lambda g: (-g.count, -g.last_asked, g.key))


def _group(key: str, asked: list[Question]) -> QuestionGroup:
    wordings = Counter(q.text for q in asked)
    earliest: dict[str, int] = {}
    for q in sorted(asked, key=lambda q: q.asked_at):
        earliest.setdefault(q.text, q.asked_at)
    wording = min(wordings, key=lambda w: (-wordings[w], earliest[w]))
    conversations = sorted({q.conversation_id for q in asked if q.conversation_id})
    return QuestionGroup(key, wording, len(asked), min(q.asked_at for q in asked), max(q.asked_at for q in asked),
                         tuple(conversations))


def neutralize(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def questions_csv(groups: Iterable[QuestionGroup], tz: ZoneInfo) -> str:
    """The questions table as CSV, times in the report zone, full question text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for group in groups:
        row = (group.text, str(group.count), local_time_text(group.first_asked, tz),
               local_time_text(group.last_asked, tz), " ".join(group.conversation_ids))
        writer.writerow([neutralize(cell) for cell in row])
    return out.getvalue()
