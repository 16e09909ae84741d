"""The spend summary as a QTextDocument, written with a text cursor.

No HTML is involved: every name and note is inserted as text, so `<script>` or `&amp;`
in an agent's name prints exactly as typed. Each section is one table whose first two
rows (the section's title and the column names) repeat on every page it runs onto, so a
title is never left alone at the bottom of a page and a long table keeps its header.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFrameFormat,
    QTextLength,
    QTextOption,
    QTextTable,
    QTextTableCellFormat,
    QTextTableFormat,
)

from a2v2_desktop.domain.times import local_day_bounds, zone
from a2v2_desktop.insights import text
from a2v2_desktop.insights.billing import KIND_LABELS, POOL_NAMES
from a2v2_desktop.insights.forecast import date_text, money_text, whole_credits
from a2v2_desktop.insights.ranges import DateRange
from a2v2_desktop.insights.runaway import MIN_EXCESS, MIN_RATIO
from a2v2_desktop.insights.usage import ACTIVITY_LABELS, BreakdownRow
from a2v2_desktop.printing.chart import CHART_OBJECT, DailyChart, paper_font
from a2v2_desktop.reports.summary import Balance, SpendSummary
from a2v2_desktop.ui.theme import LIGHT
from a2v2_desktop.ui.widgets import BIDI_CONTROLS, ISOLATE, POP_ISOLATE, elide

NAME_LIMIT = 120  # characters of a name on paper; the CSV and JSON keep it whole
CELL_PADDING = 2.5  # points


@dataclass(frozen=True)
class Style:
    size: float = 8.5
    bold: bool = False
    italic: bool = False
    color: str = LIGHT.text


BODY = Style()
SMALL = Style(7.5, color=LIGHT.muted)
LABEL = Style(7.5, bold=True, color=LIGHT.muted)
HEADING = Style(11, bold=True)
FIGURE = Style(14, bold=True)
TOTAL = Style(8.5, bold=True)
INACTIVE = Style(8.5, italic=True, color=LIGHT.muted)
RUNAWAY = Style(8.5, bold=True, color=LIGHT.danger)
DEMO = Style(9, bold=True, color=LIGHT.warning_fg)

Cell = str | tuple[str, Style]


@dataclass(frozen=True)
class Column:
    title: str
    percent: float
    right: bool = False


def px(points: float) -> float:
    """Qt's document lengths are CSS pixels (1/96 inch), scaled to the device like fonts are."""
    return points * 96 / 72


def printable(name: str, limit: int = NAME_LIMIT) -> str:
    """A name as the characters it holds: a control character or a right-to-left override shows as its code,
    e.g. "[U+202E]" (it would otherwise reverse the rest of the name), and a 5,000-character name is cut short."""
    return elide("".join(f"[U+{ord(c):04X}]" if _invisible(c) else c for c in name), limit)


def _invisible(c: str) -> bool:
    return ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 or c in BIDI_CONTROLS


def isolated(name: str, limit: int = NAME_LIMIT) -> str:
    """A name inside a sentence: a right-to-left override in it cannot reorder the words around it."""
    return ISOLATE + printable(name, limit) + POP_ISOLATE


def char_format(style: Style) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setFont(paper_font(style.size, style.bold))
    fmt.setFontItalic(style.italic)
    fmt.setForeground(QBrush(QColor(style.color)))
    return fmt


class Writer:
    """Appends blocks and section tables to a fresh document."""

    def __init__(self) -> None:
        self.doc = QTextDocument()
        self.doc.setDocumentMargin(0)
        self.doc.setDefaultFont(paper_font(BODY.size))
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.doc.setDefaultTextOption(option)
        self.cursor = QTextCursor(self.doc)
        self.empty = True  # the cursor's block is empty: the next paragraph or table goes there

    def paragraph(self, *runs: Cell, space_before: float = 0) -> None:
        """A block of text runs; `space_before` in points."""
        fmt = QTextBlockFormat()
        fmt.setTopMargin(px(space_before))
        if self.empty:
            self.cursor.setBlockFormat(fmt)
        else:
            self.cursor.insertBlock(fmt)
        self.empty = False
        for run in runs:
            self._run(self.cursor, run)

    def _insert_table(self, rows: int, columns: int, fmt: QTextTableFormat, space_before: float) -> QTextTable:
        """A table spaced by its own top margin, not by an empty paragraph above it: that would be a stray line
        on a page's top, and a table with no margin that Qt pushes to the next page gets its header painted
        twice there. The empty block Qt keeps after a table takes the next paragraph."""
        fmt.setTopMargin(px(space_before))
        table = self.cursor.insertTable(rows, columns, fmt)
        self.cursor.movePosition(QTextCursor.MoveOperation.End)
        self.empty = True
        return table

    @staticmethod
    def _run(cursor: QTextCursor, run: Cell) -> None:
        content, style = (run, BODY) if isinstance(run, str) else run
        cursor.insertText(content, char_format(style))

    def inline_object(self, object_type: int, space_before: float) -> None:
        """An object character (the chart) in a block of its own."""
        self.paragraph(space_before=space_before)
        fmt = QTextCharFormat()
        fmt.setObjectType(object_type)
        self.cursor.insertText("\ufffc", fmt)

    def table(self, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], empty: str = "",
              total: Sequence[Cell] | None = None, space_before: float = 13) -> None:
        """One section: title and column names repeat on each page; an empty section says why in one row.

        A section of one untitled column (a list of sentences) has no row of column names.
        """
        heads = 1 if len(columns) == 1 and not columns[0].title else 2
        body = list(rows) or [[(empty, SMALL)] + [""] * (len(columns) - 1)]
        count = heads + len(body) + (1 if total else 0)
        table = self._insert_table(count, len(columns), self._table_format(columns, heads), space_before)
        table.mergeCells(0, 0, 1, len(columns))
        self._fill(table, 0, 0, (title, HEADING), bottom=4, rule=LIGHT.muted if heads == 1 else None)
        for index, column in enumerate(columns if heads == 2 else ()):
            self._fill(table, 1, index, (column.title, LABEL), right=column.right, rule=LIGHT.muted)
        for number, row in enumerate(body):
            shade = LIGHT.alternate if number % 2 else None
            for index, cell in enumerate(row):
                self._fill(table, heads + number, index, cell, right=columns[index].right, shade=shade)
        if not rows:
            table.mergeCells(heads, 0, 1, len(columns))
        if total:
            for index, cell in enumerate(total):
                self._fill(table, count - 1, index, cell, right=columns[index].right, top_rule=True)

    def banner(self, message: str, style: Style, shade: str) -> None:
        """A shaded line across the page (the demo-data mark)."""
        fmt = self._table_format([Column("", 100)], 0)
        fmt.setBottomMargin(px(10))  # a paragraph's own top margin is not kept right after a table
        table = self._insert_table(1, 1, fmt, 0)
        self._fill(table, 0, 0, (message, style), shade=shade)

    @staticmethod
    def _table_format(columns: Sequence[Column], heads: int) -> QTextTableFormat:
        fmt = QTextTableFormat()
        fmt.setHeaderRowCount(heads)
        fmt.setWidth(QTextLength(QTextLength.Type.PercentageLength, 100))
        fmt.setColumnWidthConstraints([QTextLength(QTextLength.Type.PercentageLength, c.percent) for c in columns])
        fmt.setBorder(0)
        fmt.setBorderCollapse(True)
        fmt.setCellSpacing(0)
        fmt.setCellPadding(px(CELL_PADDING))
        fmt.setLeftMargin(-px(CELL_PADDING))  # the cells' text lines up with the paragraphs'
        fmt.setRightMargin(-px(CELL_PADDING))
        return fmt

    def _fill(self, table: QTextTable, row: int, column: int, cell: Cell, right: bool = False,
              shade: str | None = None, rule: str | None = None, top_rule: bool = False, bottom: float = 0) -> None:
        target = table.cellAt(row, column)
        fmt = QTextTableCellFormat()
        if shade:
            fmt.setBackground(QColor(shade))
        if rule:
            fmt.setBottomBorder(px(0.75))
            fmt.setBottomBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
            fmt.setBottomBorderBrush(QColor(rule))
        if top_rule:
            fmt.setTopBorder(px(0.75))
            fmt.setTopBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
            fmt.setTopBorderBrush(QColor(LIGHT.muted))
        if bottom:
            fmt.setBottomPadding(px(bottom))
        target.setFormat(fmt)
        cursor = target.firstCursorPosition()
        block = QTextBlockFormat()
        block.setAlignment(Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
        cursor.setBlockFormat(block)
        self._run(cursor, cell)

    def cards(self, cards: Sequence[tuple[str, str, str]], space_before: float = 12) -> None:
        """Figures side by side, each with a small title above and a note below."""
        fmt = QTextTableFormat()
        fmt.setWidth(QTextLength(QTextLength.Type.PercentageLength, 100))
        fmt.setBorder(0)
        fmt.setCellSpacing(px(5))
        fmt.setCellPadding(px(6))
        fmt.setLeftMargin(-px(5))  # the outer cards line up with the text's edges
        fmt.setRightMargin(-px(5))
        table = self._insert_table(1, len(cards), fmt, space_before)
        for index, (title, figure, note) in enumerate(cards):
            cell = table.cellAt(0, index)
            shade = QTextTableCellFormat()
            shade.setBackground(QColor(LIGHT.alternate))
            cell.setFormat(shade)
            cursor = cell.firstCursorPosition()
            self._run(cursor, (title, LABEL))
            for content, style in ((figure, FIGURE), (note, SMALL)):
                cursor.insertBlock()
                self._run(cursor, (content, style))


# ---- the sections ------------------------------------------------------------------------------------

def build_document(summary: SpendSummary) -> QTextDocument:
    """The whole summary; the caller lays it out for its device (see printing.pdf)."""
    writer = Writer()
    tz = zone(summary.timezone)
    header(writer, summary, tz)
    writer.cards(cards(summary))
    writer.inline_object(CHART_OBJECT, space_before=16)
    activities(writer, summary)
    breakdown(writer, "By agent", summary.agents, summary, "deleted")
    breakdown(writer, "By team member", summary.members, summary, "removed")
    balances(writer, summary, tz)
    purchases(writer, summary, tz)
    runaways(writer, summary, tz)
    forecast(writer, summary, tz)
    revisions(writer, summary)
    # Registered last: a layout that exists while the text is written re-lays it out on every insertion.
    writer.doc.documentLayout().registerHandler(CHART_OBJECT, DailyChart(summary.chart, writer.doc))
    return writer.doc


def header(writer: Writer, summary: SpendSummary, tz: tzinfo) -> None:
    request, report = summary.request, summary.report
    if request.demo:
        writer.banner("DEMO DATA — these figures come from the built-in demo organization, not from a real account.",
                      DEMO, LIGHT.warning_bg)
    writer.paragraph((request.title.upper(), LABEL))
    writer.paragraph((printable(report.organization.name), Style(18, bold=True)), space_before=2)
    days = summary.span.days
    label = f" · {summary.label}" if summary.label else ""
    writer.paragraph((f"{summary.span.label()}{label} · {days:,} day{'s' if days != 1 else ''}", Style(11)),
                     space_before=3)
    scope = ", ".join(isolated(name, 60) for name in summary.scope_names) if summary.scope_names else "All agents"
    writer.paragraph((f"Agents: {scope} · Days and times in {summary.timezone}", SMALL), space_before=4)
    synced = text.moment_text(summary.data_as_of, tz) if summary.data_as_of else "never synced"
    writer.paragraph((f"Generated {text.moment_text(request.now, tz)} · Data as of {synced} (last sync)", SMALL))


def cards(summary: SpendSummary) -> list[tuple[str, str, str]]:
    """Credits used, the change, the pools and what was bought: the four figures a reader looks for first."""
    c = summary.cards
    pools = dict(c.pools)
    plan = pools.pop("plan", 0)
    others = " · ".join(f"{POOL_NAMES.get(name, name)} used: {text.exact_credits_text(value)}"
                        for name, value in sorted(pools.items())) or "Top-up Credits used: 0.00"
    previous = f"{text.exact_credits_text(c.previous_credits)} credits in {summary.previous.label()}"
    if summary.compared != summary.span:
        previous += f" (the {summary.compared.days:,} days so far)"
    return [
        ("Credits used", text.exact_credits_text(c.credits), f"{c.messages:,} agent messages"),
        ("Change vs previous period", text.change_text(c.credits, c.previous_credits), previous),
        ("Message Credits used", text.exact_credits_text(plan), others),
        ("Bought in the range", paid_text(summary) or "—",
         f"{len(summary.purchases):,} top-ups and auto-recharges" if summary.purchases else "no top-ups"),
    ]


def paid_text(summary: SpendSummary) -> str:
    """Money paid for top-ups and auto-recharges, one sum per currency."""
    paid: dict[str, int] = defaultdict(int)
    for tx in summary.purchases:
        if tx.paid_amount is not None:
            paid[tx.paid_currency or ""] += tx.paid_amount
    return " + ".join(money_text(amount, currency) for currency, amount in sorted(paid.items()))


def activities(writer: Writer, summary: SpendSummary) -> None:
    total = summary.report.total_credits
    columns = [Column("Activity", 46), Column("Credits", 20, True), Column("Share", 14, True),
               Column("Quantity", 20, True)]
    rows = [[ACTIVITY_LABELS.get(row.key, printable(row.key)), text.exact_credits_text(row.credits),
             text.share_text(row.credits, total), f"{row.quantity:,}"] for row in summary.report.by_activity]
    writer.table("By activity", columns, rows, "No credits were spent in this range.",
                 total=[("Total", TOTAL), (text.exact_credits_text(total), TOTAL), ("100.0%" if total else "—", TOTAL),
                        (f"{summary.report.total_quantity:,}", TOTAL)])


def name_cell(row: BreakdownRow, inactive_word: str) -> Cell:
    """Marked in words, not only by style: "(deleted)", "(removed)", "— runaway"; visitors' traffic in italics."""
    label = printable(row.name) + (f" ({inactive_word})" if row.inactive else "")
    if row.runaway:
        return label + " — runaway", RUNAWAY
    if row.inactive:
        return label, INACTIVE
    return (label, Style(italic=True)) if row.key is None else label


def breakdown(writer: Writer, title: str, rows: Sequence[BreakdownRow], summary: SpendSummary,
              inactive_word: str) -> None:
    """Per agent or member: credits, share, quantity and the change against the previous period."""
    total = summary.report.total_credits
    columns = [Column("Name", 46), Column("Credits", 16, True), Column("Share", 11, True),
               Column("Quantity", 13, True), Column("Change", 14, True)]
    body = [[name_cell(row, inactive_word), text.exact_credits_text(row.credits), text.share_text(row.credits, total),
             f"{row.quantity:,}", text.change_text(row.credits, row.previous_credits)] for row in rows]
    c = summary.cards
    writer.table(title, columns, body, "No credits were spent in this range.",
                 total=[("Total", TOTAL), (text.exact_credits_text(total), TOTAL), ("100.0%" if total else "—", TOTAL),
                        (f"{summary.report.total_quantity:,}", TOTAL),
                        (text.change_text(c.credits, c.previous_credits), TOTAL)])
    writer.paragraph((f"Change compares {summary.compared.label()} with {summary.previous.label()}.", SMALL),
                     space_before=2)


def balance_heading(balance: Balance, summary: SpendSummary, end: int, tz: tzinfo) -> str:
    if balance.at == end:
        return f"At the end of {DateRange(summary.span.last, summary.span.last).label()}"
    return f"At the last sync, {text.moment_text(balance.at, tz)}"


def balances(writer: Writer, summary: SpendSummary, tz: tzinfo) -> None:
    """Both pools at the end of the range and now (the last sync), with the next billing date."""
    end_balance, now = summary.balance_end, summary.balance_now
    if end_balance is None or now is None:
        writer.table("Balance", [Column("", 100)], [], "No billing was synced yet.")
        return
    end = local_day_bounds(summary.span.first, summary.span.last, tz)[1]
    columns = [Column("", 34), Column(balance_heading(end_balance, summary, end, tz), 33, True),
               Column(f"Now (last sync, {text.moment_text(now.at, tz)})", 33, True)]
    pairs = (end_balance, now)
    rows = [[POOL_NAMES["plan"], *(text.exact_credits_text(b.plan) for b in pairs)],
            [POOL_NAMES["topup"], *(text.exact_credits_text(b.topup) for b in pairs)],
            ["Next billing date", *(date_text(b.next_billing, tz) for b in pairs)]]
    writer.table("Balance", columns, rows,
                 total=[("Total credits", TOTAL), *((text.exact_credits_text(b.plan + b.topup), TOTAL) for b in pairs)])
    source = "rebuilt from the credit ledger" if not end_balance.recorded else "the platform's figures at that sync"
    writer.paragraph((f"The whole organization's balance, whichever agents are chosen. End of the range: {source}.",
                      SMALL), space_before=2)


def purchases(writer: Writer, summary: SpendSummary, tz: tzinfo) -> None:
    columns = [Column("When", 30), Column("What", 30), Column("Credits", 20, True), Column("Paid", 20, True)]
    rows = [[text.moment_text(tx.occurred_at, tz), KIND_LABELS.get(tx.kind, printable(tx.kind)),
             text.exact_credits_text(tx.credits),
             money_text(tx.paid_amount, tx.paid_currency) if tx.paid_amount is not None else "—"]
            for tx in summary.purchases]
    total = None
    if rows:
        total = [("Total", TOTAL), (f"{len(rows):,}", TOTAL),
                 (text.exact_credits_text(sum(tx.credits for tx in summary.purchases)), TOTAL),
                 (paid_text(summary) or "—", TOTAL)]
    writer.table("Top-ups and auto-recharges in the range", columns, rows,
                 "No top-ups or auto-recharges in this range.", total=total)


def runaways(writer: Writer, summary: SpendSummary, tz: tzinfo) -> None:
    columns = [Column("Agent", 40), Column("Worst 24 hours, up to", 22, True), Column("Credits", 14, True),
               Column("Normal a day", 14, True), Column("× normal", 10, True)]
    rows = [[(printable(r.name), RUNAWAY), text.moment_text(r.window_end, tz), text.exact_credits_text(r.spent),
             text.exact_credits_text(r.normal), f"{round(r.ratio):,}×" if r.ratio is not None else "new"]
            for r in summary.runaways]
    writer.table("Runaway agents in the range", columns, rows, "No agent ran away in this range.")
    writer.paragraph((f"An agent is flagged when 24 hours cost at least {MIN_RATIO}× its normal day (the average of "
                      f"the four weeks before) and at least {whole_credits(MIN_EXCESS)} credits more.", SMALL),
                     space_before=2)


def forecast(writer: Writer, summary: SpendSummary, tz: tzinfo) -> None:
    note = summary.forecast
    title = f"Run-out forecast as of {text.moment_text(note.at, tz)}" if note else "Run-out forecast"
    rows = [[sentence] for sentence in note.sentences] if note else []
    writer.table(title, [Column("", 100)], rows, "No billing was synced yet: there is nothing to forecast from.")


def revisions(writer: Writer, summary: SpendSummary) -> None:
    """Late usage lines and refunds that changed an earlier statement's total since it was saved."""
    if not summary.revisions:
        return
    columns = [Column("Statement period", 40), Column("Stated", 20, True), Column("Now", 20, True),
               Column("Difference", 20, True)]
    rows = [[DateRange(r.first, r.last).label(), text.exact_credits_text(r.stated),
             text.exact_credits_text(r.current), text.exact_credits_text(r.current - r.stated)]
            for r in summary.revisions]
    writer.table("Revisions to earlier statements", columns, rows)
