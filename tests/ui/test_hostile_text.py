"""Issue #9: an organization whose every free text is hostile (markup, links, images, entities, a
right-to-left override, control characters, 10,000 characters), synced through the window, shows
that text literally in every widget, tooltip, legend, dialog and report; nothing is fetched.

The check is generic: every label, tooltip, item, text view and chart text in the window and its
dialogs is read as Qt would render it (rich text when the format or Qt.mightBeRichText says so),
and a hostile text that appears there must appear as its own characters, never as what its
markup would have rendered to.
"""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pypdf
import pytest
from PySide6 import QtGui
from PySide6.QtCore import QAbstractItemModel, QAbstractListModel, QPointF, Qt
from PySide6.QtGui import QAction, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGraphicsTextItem,
    QLabel,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QToolTip,
    QWidget,
)

from a2v2_desktop.insights.answer_quality import neutralize
from a2v2_desktop.printing.document import printable
from a2v2_desktop.reports.exports import csv_files, safe_cell
from a2v2_desktop.reports.summary import SummaryRequest, build_summary
from a2v2_desktop.settings import Settings
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
from a2v2_desktop.standin.server import StandinServer
from a2v2_desktop.ui.about import AboutDialog
from a2v2_desktop.ui.charts.balance_chart import BalanceChart, wall_x
from a2v2_desktop.ui.charts.base import DAY_SECONDS, ChartFrame, axis_position
from a2v2_desktop.ui.report_dialogs import ReportOptionsDialog
from a2v2_desktop.ui.widgets import elide, plain_label
from tests.ui.conftest import NOW

LONG = 10_000
OVERRIDE, ISOLATE = "\u202e", "\u2068"
RICH = (Qt.RichText, Qt.MarkdownText)


class FetchTarget(BaseHTTPRequestHandler):
    """Where every hostile <img>/<a> points: it counts the requests it gets."""

    requests: ClassVar[list[str]] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        FetchTarget.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def fetch_target():
    FetchTarget.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FetchTarget)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def hostile_texts(target: str, prefix: str) -> list[str]:
    """One text of each kind; each starts with its own marker (e.g. "Zq3") so a widget showing it is
    found, and has its markup within the first 40 characters, which survive every elision."""
    texts = [f'<img src="{target}/{prefix}1.png">',
             f'<a href="{target}/{prefix}2">click</a>',
             "<b>bold</b> & <i>it</i> <script>alert(1)</script>",
             "&amp;lt; &#60;script&#62; &lt;b&gt;",
             "\u202eevil reversed",  # an override never closed: it would reverse what follows
             "\x07bell \x1b[31m esc \t tab\nsecond line",
             f"HYPERLINK(\"{target}/{prefix}7\",\"x\")",
             '<table><tr><td><img src="file:///etc/passwd"></td></tr></table><h1>big</h1>']
    texts = [f"{prefix}{number} {content}" for number, content in enumerate(texts, 1)]
    texts[6] = "=" + texts[6]  # a spreadsheet formula in a CSV cell
    texts[4] += " long " + "x" * (LONG - len(texts[4]) - 6)  # one 10,000-character name
    return texts


@dataclass(frozen=True)
class Hostile:
    agents: list[str]
    members: list[str]
    questions: list[str]
    notes: list[str]
    organization: str
    plan: str

    def all(self) -> list[str]:
        return [*self.agents, *self.members, *self.questions, *self.notes, self.organization, self.plan]


def hostile_org(target: str) -> tuple[DemoOrg, Hostile]:
    """The seed-7 demo with every free text it sends replaced by a hostile one."""
    org = DemoOrg(OrgSpec(seed=7, agents=8, members=5, days=60), now=NOW)
    hostile = Hostile(agents=hostile_texts(target, "Zq"), members=hostile_texts(target, "Zm")[:5],
                      questions=hostile_texts(target, "Zu")[:4], notes=hostile_texts(target, "Zn")[:2],
                      organization=f'Zo1 <img src="{target}/org.png"><a href="{target}/o">Org</a> &amp; \u202eCo',
                      plan="Zp1 <b>Plan</b> &#60;x&#62;")
    for agent, name in zip(org.agents, hostile.agents):
        agent["name"] = name
    for member, name in zip(org.members, hostile.members):
        member["name"] = name
        member["email"] = f'"<img src={target}/mail.png>"@example.com'
    org.organization["name"] = hostile.organization
    # The feeds have no public setter; the records are rewritten before the server sends any.
    for record, question in zip(reversed(org.feeds["unanswered_questions"]._records), hostile.questions):
        record["question"] = question
    noted = [r for r in org.feeds["credit_transactions"]._records if r["note"]]
    for record, note in zip(noted, hostile.notes):
        record["note"] = note
    billing = org.billing
    org.billing = lambda: {**billing(), "plan": {**billing()["plan"], "name": hostile.plan}}
    return org, hostile


# -- reading what Qt renders ---------------------------------------------------------------------


def rendered(content: str, text_format=Qt.AutoText) -> str:
    """The characters a person sees: rich text is laid out by QTextDocument, as QLabel and QToolTip do."""
    if text_format in RICH or (text_format == Qt.AutoText and QtGui.Qt.mightBeRichText(content)):
        document = QTextDocument()
        document.setHtml(content)
        return document.toPlainText()
    return content


def interpreted_head(text: str) -> str | None:
    """What the start of a hostile text shows as when its markup is obeyed (None when it looks the same)."""
    marker = text.split(" ", 1)[0]
    shown = rendered(text, Qt.RichText)
    head = shown[:len(marker) + 6]
    return None if text.startswith(head) else head


@dataclass
class Seen:
    """Every rendered text read, where it came from, and which hostile texts were found literally."""

    texts: list[tuple[str, str]]
    found: set[str]

    def read(self, where: str, content: str | None, text_format=Qt.PlainText) -> None:
        if content:
            self.texts.append((where, rendered(content, text_format)))

    def leaks(self, hostile: list[str]) -> list[str]:
        """Places showing a hostile text as its markup renders instead of as its characters, or letting
        its right-to-left override run on into the sentence around it."""
        found = []
        for text in hostile:
            marker, head = text.split(" ", 1)[0] + " ", interpreted_head(text)
            literal = text[:len(marker) + 6]
            for where, shown in self.texts:
                if marker in shown and literal in shown:
                    self.found.add(text)
                    if OVERRIDE in text and overrides_sentence(shown, text, marker):
                        found.append(f"{where}: override not isolated in {shown[:80]!r}")
                elif head is not None and head in shown and literal not in shown:
                    found.append(f"{where}: {shown[:80]!r}")
        return found


def overrides_sentence(shown: str, text: str, marker: str) -> bool:
    """A line where words follow the text (whole, or cut at "…" after its override) outside an isolate."""
    for line in shown.split("\n"):
        at = line.find(marker)
        if at < 0 or line[:at].endswith(ISOLATE):
            continue
        rest = line[at:]
        end = len(text) if rest.startswith(text) else rest.find("…") + 1 or len(rest)
        if OVERRIDE in rest[:end] and rest[end:].strip():
            return True
    return False


def read_model(seen: Seen, where: str, model: QAbstractItemModel) -> None:
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount()  # private in list models
    for column in range(columns):
        for role in (Qt.DisplayRole, Qt.ToolTipRole):
            seen.read(f"{where} header {column}", _text(model.headerData(column, Qt.Horizontal, role)),
                      Qt.AutoText if role == Qt.ToolTipRole else Qt.PlainText)
    for row in range(model.rowCount()):
        for column in range(columns):
            index = model.index(row, column)
            seen.read(f"{where} [{row},{column}]", _text(index.data(Qt.DisplayRole)))
            seen.read(f"{where} [{row},{column}] tooltip", _text(index.data(Qt.ToolTipRole)), Qt.AutoText)


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def read_widgets(seen: Seen, root: QWidget) -> int:
    """Every text-bearing widget under root (root included); returns how many were read."""
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        where = f"{type(widget).__name__} {widget.objectName()}"
        seen.read(f"{where} tooltip", widget.toolTip(), Qt.AutoText)
        seen.read(f"{where} window title", widget.windowTitle() if widget.isWindow() else "")
        if isinstance(widget, QLabel):
            seen.read(where, widget.text(), widget.textFormat())
        elif isinstance(widget, (QTextEdit, QPlainTextEdit)):
            seen.read(where, widget.toPlainText())
        elif isinstance(widget, QAbstractButton):
            seen.read(where, widget.text())
        elif isinstance(widget, QTabBar):
            for tab in range(widget.count()):
                seen.read(f"{where} tab", widget.tabText(tab))
                seen.read(f"{where} tab tooltip", widget.tabToolTip(tab), Qt.AutoText)
        if isinstance(widget, (QAbstractItemView, QComboBox)) and widget.model() is not None:
            read_model(seen, where, widget.model())
    for action in root.findChildren(QAction):
        seen.read("action tooltip", action.toolTip(), Qt.AutoText)
    return len(widgets)


def read_charts(seen: Seen, root: QWidget) -> int:
    """The hover text of every bar, point and marker, as the mouse would show it, and every text item
    in the plots' scenes (axis labels, any legend)."""
    shown = 0
    for chart in root.findChildren(ChartFrame):
        for item in chart.plot.scene().items():
            if isinstance(item, QGraphicsTextItem):
                seen.read(f"{type(chart).__name__} scene text", item.toPlainText())
        for x in hover_points(chart):
            view = chart.plot.getPlotItem().vb
            chart.plot.scene().sigMouseMoved.emit(view.mapViewToScene(QPointF(x, view.viewRange()[1][0])))
            seen.read(f"{type(chart).__name__} hover", QToolTip.text(), Qt.AutoText)
            shown += bool(QToolTip.text())
    return shown


def hover_points(chart: ChartFrame) -> list[float]:
    """The balance chart's latest markers (their notes), or the middle of the latest buckets."""
    if isinstance(chart, BalanceChart):
        return [wall_x(marker.at, chart.tz) for marker in chart.markers][-40:]
    shown = getattr(chart, "series", None) or getattr(chart, "data", None)
    buckets = shown.buckets if shown is not None else ()
    return [axis_position(b.first) + DAY_SECONDS / 2 for b in buckets][-14:]


# -- the scenario ----------------------------------------------------------------------------------


@pytest.fixture
def hostile_window(make_app, qtbot, settle, fetch_target):
    org, hostile = hostile_org(fetch_target)
    servers = []

    def factory():
        servers.append(StandinServer(org, port=0).start())
        return servers[-1]

    services, window = make_app(settings=Settings(sync_interval_minutes=0), demo_factory=factory)
    notified: list[tuple[str, str]] = []
    window.notifier.notified.connect(lambda title, message: notified.append((title, message)))
    with qtbot.waitSignal(services.sync.succeeded, timeout=60_000):
        services.start_demo()
    settle(services)
    yield services, window, hostile, notified
    for server in servers:
        server.stop()


def visit_everything(window, services, settle, qtbot, seen: Seen) -> tuple[int, int]:
    """Every panel and tab, an agent picked in Usage and Analytics, the dialogs that show names."""
    widgets = hovers = 0
    window.tray.available = lambda: True  # offscreen has no tray: pretend the desktop has one
    services.update_settings(tray_icon=True)
    settle(services)
    for index in range(window.panels.count()):
        window.show_panel(index)
        settle(services)
        panel = window.panels.currentWidget()
        tabs = getattr(panel, "tabs", None)
        for tab in range(tabs.count() if tabs else 1):
            if tabs:
                tabs.setCurrentIndex(tab)
                settle(services)
            widgets += read_widgets(seen, window)
            hovers += read_charts(seen, window)
    usage = window.usage
    for choice in usage.view.agent_choices[:8]:
        usage.agent.setCurrentIndex(usage.agent.findData(choice.id))
        settle(services)
        widgets += read_widgets(seen, usage)
    window.show_panel(2)
    analytics = window.analytics
    for agent_id in analytics.agents.agent_ids()[:8]:
        analytics.agents.select(agent_id)
        settle(services)
        for tab in range(analytics.tabs.count()):
            analytics.tabs.setCurrentIndex(tab)
            settle(services)
            quality = getattr(analytics.tabs.currentWidget(), "table", None)
            if quality is not None and quality.model().rowCount():
                quality.selectRow(0)
            widgets += read_widgets(seen, analytics)
            hovers += read_charts(seen, analytics)
    widgets += read_dialogs(window, services, settle, qtbot, seen)
    seen.read("tray tooltip", window.tray.icon.toolTip(), Qt.AutoText)
    for action in window.tray.alerts_menu.actions():
        seen.read("tray alert", action.text())
    return widgets, hovers


def read_dialogs(window, services, settle, qtbot, seen: Seen) -> int:
    read = 0
    view = window.usage.view
    options = ReportOptionsDialog(window, "Export PDF", "Export", window.report_actions.current_choice(),
                                  view.agent_choices, NOW.date())
    options.show()
    read += read_widgets(seen, options)
    options.reject()
    overview = window.organizations.show_overview()
    qtbot.waitUntil(lambda: overview.panel.table.rowCount() > 0)
    settle(services)
    read += read_widgets(seen, overview)
    overview.reject()
    window.report_actions.show_statements()
    read += read_widgets(seen, window.report_actions.statements_dialog)
    window.report_actions.statements_dialog.close()
    next(a for a in window.menuBar().actions() if a.text() == "&Help").menu().actions()[0].trigger()
    about = window.findChild(AboutDialog)
    read += read_widgets(seen, about)
    about.reject()
    return read


def test_hostile_text_shows_literally_everywhere_and_nothing_is_fetched(hostile_window, settle, qtbot,
                                                                         fetch_target):
    services, window, hostile, notified = hostile_window
    seen = Seen([], set())
    widgets, hovers = visit_everything(window, services, settle, qtbot, seen)
    for title, message in notified:
        seen.read("notification", title)
        seen.read("notification", message)

    leaks = seen.leaks(hostile.all())
    print(f"\nhostile text: {widgets:,} widgets read, {len(seen.texts):,} texts, {hovers} chart hovers, "
          f"{len(seen.found)} of {len(hostile.all())} hostile texts found shown, "
          f"{len(FetchTarget.requests)} fetches")
    assert leaks == [], '\n'.join(sorted({leak[:40] + ' … ' + leak[-60:] for leak in leaks}))
    assert FetchTarget.requests == []
    shown_agents = {text for text in hostile.agents if text in seen.found}
    assert shown_agents == set(hostile.agents)  # every kind of agent name reached the screen
    assert hostile.organization in seen.found and hostile.plan in seen.found
    assert set(hostile.members) & seen.found and set(hostile.questions) & seen.found
    assert set(hostile.notes) & seen.found  # the balance chart's marker hover
    assert window.width() <= 1280  # the 10,000-character name pushed nothing apart


def test_leak_detector_catches_a_rich_label(qtbot, fetch_target):
    """The check itself can fail: a label left at AutoText shows an <a> name as a link."""
    name = hostile_texts(fetch_target, "Zq")[1]
    label = QLabel(name)
    qtbot.addWidget(label)
    seen = Seen([], set())
    read_widgets(seen, label)
    assert seen.leaks([name]) and name not in seen.found
    label.setTextFormat(Qt.PlainText)
    seen = Seen([], set())
    read_widgets(seen, label)
    assert seen.leaks([name]) == [] and name in seen.found


def test_a_name_in_a_sentence_is_isolated_so_its_override_stays_inside(qtbot):
    """An unclosed right-to-left override would show "spent 5 credits" as "stiderc 5 tneps"."""
    name = "Zq9 \u202eevil reversed"
    for shown, leaks in ((f"Runaway agent: {name} spent 5 credits", True),
                         (f"Runaway agent: {elide(name, 60)} spent 5 credits", False),
                         (elide(name, 60), False)):
        label = plain_label(shown)
        qtbot.addWidget(label)
        seen = Seen([], set())
        read_widgets(seen, label)
        assert bool(seen.leaks([name])) is leaks, shown
    assert elide("Kite & Key Learning") == "Kite & Key Learning"  # names without direction controls unchanged


# -- reports ---------------------------------------------------------------------------------------


def test_pdf_and_csv_hold_hostile_names_literally(hostile_window, tmp_path):
    from a2v2_desktop.printing.pdf import write_pdf

    services, _window, hostile, _notified = hostile_window
    with services.engine.connect() as connection:
        summary = build_summary(connection, SummaryRequest(None, int(NOW.timestamp()), preset="Last 30 days"))
    write_pdf(summary, tmp_path / "summary.pdf")
    whole = "".join("".join(page.extract_text().split()) for page in pypdf.PdfReader(tmp_path / "summary.pdf").pages)
    names = [row.name for row in summary.agents] + [row.name for row in summary.members]
    assert set(hostile.agents) <= set(names)
    for name in names:
        assert "".join(printable(name).split()) in whole
    assert "".join(printable(hostile.organization).split()) in whole
    files = {name: list(csv.reader(io.StringIO(body.decode("utf-8-sig")))) for name, body in csv_files(summary).items()}
    cells = {cell for rows in files.values() for row in rows for cell in row}
    assert {neutralize(text) for text in hostile.agents} <= cells
    assert "'" + next(text for text in hostile.agents if text.startswith("=")) in cells
    assert all(safe_cell(cell) == cell for cell in cells)  # no cell a spreadsheet would run
