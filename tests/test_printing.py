"""The printed spend summary: its figures equal the Usage panel's and the JSON report's, and the PDF and
CSV files hold them exactly (pypdf reads the PDF's text back)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import date

import pypdf
import pytest

from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cli import main
from a2v2_desktop.insights import ranges, text
from a2v2_desktop.insights.answer_quality import FORMULA_STARTS
from a2v2_desktop.insights.ranges import DateRange
from a2v2_desktop.insights.usage import BreakdownRow, UsageRequest, build_usage_view
from a2v2_desktop.reports.exports import csv_files, safe_cell, summary_json_dict, write_csv
from a2v2_desktop.reports.spend import build_spend_report, report_to_json, report_to_json_dict
from a2v2_desktop.reports.summary import SummaryRequest, build_summary
from a2v2_desktop.standin.generator import DemoOrg, OrgSpec
from a2v2_desktop.standin.server import StandinServer
from a2v2_desktop.ui.theme import LIGHT
from tests.conftest import FIXED_NOW
from tests.test_sync_e2e import sync_in_process

NOW = int(FIXED_NOW.timestamp())
OCTOBER = DateRange(date(2026, 10, 1), date(2026, 10, 31))
HOSTILE = "<b>Sales</b> & <script>alert(1)</script>"


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory):
    """The seed-7 demo (hostile names, a deleted agent, a runaway, top-ups) synced once over HTTP."""
    server = StandinServer(DemoOrg(OrgSpec(seed=7), now=FIXED_NOW), port=0).start()
    path = tmp_path_factory.mktemp("printing") / "cache.sqlite"
    try:
        sync_in_process(server, path, clock=lambda: NOW)
    finally:
        server.stop()
    return path


@pytest.fixture(scope="module")
def engine(demo_cache):
    engine = open_cache(demo_cache)
    yield engine
    engine.dispose()


def summarize(engine, span=OCTOBER, **fields):
    with engine.connect() as connection:
        return build_summary(connection, SummaryRequest(span, NOW, **fields))


def pages_text(path) -> list[str]:
    """Each page's text with runs of whitespace made one space (pypdf turns spaces into tabs)."""
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages]


def squeezed(content: str) -> str:
    """Without any whitespace: a wrapped cell's line breaks then cannot hide its words."""
    return "".join(content.split())


@pytest.mark.parametrize("preset", [ranges.LAST_MONTH, ranges.THIS_BILLING_PERIOD, ranges.LAST_BILLING_PERIOD,
                                    ranges.LAST_7_DAYS])
def test_figures_equal_the_usage_panel_and_the_json_report(engine, preset):
    summary = summarize(engine, None, preset=preset)
    with engine.connect() as connection:
        view = build_usage_view(connection, UsageRequest(preset=preset, now=NOW))
    assert summary.span == view.span and summary.label == preset
    assert summary.cards == view.cards and summary.report.total_credits == view.cards.credits
    plain = [replace(row, runaway=False) for row in summary.agents]
    assert plain == [replace(row, runaway=False) for row in view.agents]
    assert summary.members == view.members
    contract = report_to_json_dict(build_spend_report(engine, summary.span.first, summary.span.last))
    assert {k: v for k, v in summary_json_dict(summary).items() if k not in ("summary", "tables")} == contract
    assert sum(summary.chart.totals()) == summary.report.total_credits


def test_pdf_holds_the_organization_range_totals_and_every_row(engine, tmp_path, qapp):
    from a2v2_desktop.printing.document import printable
    from a2v2_desktop.printing.pdf import write_pdf

    summary = summarize(engine, label="Last month", demo=True)
    pages = write_pdf(summary, tmp_path / "october.pdf")
    texts = pages_text(tmp_path / "october.pdf")
    whole = " ".join(texts)
    assert pages == len(texts) >= 2
    assert summary.report.organization.name in texts[0] and "1 Oct 2026 – 31 Oct 2026 · Last month" in texts[0]
    assert "DEMO DATA" in texts[0] and "Europe/Berlin" in texts[0]
    assert f"Credits used {text.exact_credits_text(summary.report.total_credits)}" in texts[0]
    for number, page in enumerate(texts, 1):
        assert f"Page {number} of {pages}" in page
    for rows, word in ((summary.agents, "deleted"), (summary.members, "removed")):
        for row in rows:
            line = printable(row.name) + (f" ({word})" if row.inactive else "")
            assert squeezed(f"{line} {text.exact_credits_text(row.credits)}") in squeezed(whole)
    assert HOSTILE in whole and "Visitors' traffic" in whole
    assert "[U+202E]regnahC[U+0007]" in whole  # the override shown, not obeyed


def test_the_chart_is_vector_bars_in_the_activity_colours(engine, tmp_path, qapp):
    from a2v2_desktop.printing.pdf import write_pdf

    write_pdf(summarize(engine), tmp_path / "chart.pdf")
    page = pypdf.PdfReader(tmp_path / "chart.pdf").pages[0]
    stream = page.get_contents().get_data().decode("latin-1")
    messages = [int(LIGHT.activities[0][i:i + 2], 16) / 255 for i in (1, 3, 5)]
    fills = re.finditer(r"(\S+) (\S+) (\S+) scn\s+/GSa gs\s+(?:\S+ ){4}re\s+f", stream)
    bars = [m for m in fills if all(abs(float(m[i + 1]) - messages[i]) < 1e-3 for i in range(3))]
    assert len(bars) >= 31 + 1  # a Messages bar for each day of October, and the legend's swatch
    assert not page["/Resources"].get("/XObject")  # no picture: sharp at any zoom


def test_pages_grow_with_rows_and_each_page_repeats_the_table_header(engine, tmp_path, qapp):
    """A stand-in for a 300-agent organization: the October summary with 300 agent rows."""
    from a2v2_desktop.printing.pdf import write_pdf

    summary = summarize(engine)
    counts = {}
    for agents in (10, 100, 300):
        rows = tuple(BreakdownRow(f"agt_{i:03d}", f"Agent number {i:03d}", (1000 - i) * 10_000, i, 400 * 10_000, ())
                     for i in range(agents))
        counts[agents] = write_pdf(replace(summary, agents=rows), tmp_path / f"{agents}.pdf")
    assert counts[10] < counts[100] < counts[300] and counts[300] >= 6
    texts = pages_text(tmp_path / "300.pdf")
    with_rows = [number for number, page in enumerate(texts) if "Agent number" in page]
    assert len(with_rows) >= 5
    for number in with_rows[1:]:
        page = texts[number]
        assert -1 < page.find("By agent Name Credits Share Quantity Change") < page.find("Agent number")
    for page in texts:
        assert page.count("By agent Name") <= 1  # a header repeated once, never painted twice
    assert all(f"Agent number {i:03d}" in " ".join(texts) for i in range(300))


def from_csv(files: dict[str, bytes]) -> dict:
    """The JSON report rebuilt from the CSV tables, as a spreadsheet user would read them."""
    def rows(name):
        return [{k: unneutralize(v) for k, v in row.items()}
                for row in csv.DictReader(io.StringIO(files[name].decode("utf-8-sig")))]

    fields = {row["field"]: row["value"] for row in rows("summary.csv")}
    spent = [r for r in rows("agents.csv") if (r["credits"], r["quantity"]) != ("0", "0")]
    rebuilt = {
        "organization": {"id": fields["organization_id"], "name": fields["organization_name"]},
        "timezone": fields["timezone"], "from": fields["from"], "to": fields["to"],
        "total_credits": fields["total_credits"],
        "by_agent": [{"agent_id": r["agent_id"], "agent_name": r["agent_name"], "credits": r["credits"],
                      "quantity": int(r["quantity"])} for r in spent],
        "by_member": [{"member_id": r["member_id"] or None, "member_name": r["member_name"], "credits": r["credits"],
                       "quantity": int(r["quantity"])} for r in rows("members.csv")
                      if (r["credits"], r["quantity"]) != ("0", "0")],
        "by_activity": [{"activity": r["activity"], "credits": r["credits"], "quantity": int(r["quantity"])}
                        for r in rows("activities.csv")],
        "by_day": [{"date": r["date"], "credits": r["credits"]} for r in rows("days.csv")],
        "conversations": int(fields["conversations"]), "messages": int(fields["messages"]),
        "visitors": int(fields["visitors"]),
    }
    if fields["agents"] != "all":
        rebuilt["agent_ids"] = fields["agents"].split(" ")
    return rebuilt


def unneutralize(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2].startswith(FORMULA_STARTS) else cell


@pytest.mark.parametrize("agents", [(), ("runaway",)])
def test_csv_parsed_back_equals_the_json_report(engine, tmp_path, agents):
    with engine.connect() as connection:
        from a2v2_desktop.insights.runaway import find_runaways

        runaway = find_runaways(connection, NOW)[0].agent_id
    agent_ids = tuple(runaway if a == "runaway" else a for a in agents)
    summary = summarize(engine, ranges.DateRange(date(2026, 8, 1), date(2026, 11, 27)), agent_ids=agent_ids)
    written = write_csv(summary, tmp_path / "summary.zip")
    with zipfile.ZipFile(written[0]) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    assert set(files) == set(csv_files(summary))
    report = build_spend_report(engine, summary.span.first, summary.span.last, agent_ids=agent_ids or None)
    assert from_csv(files) == json.loads(report_to_json(report))
    day_rows = list(csv.DictReader(io.StringIO(files["days.csv"].decode("utf-8-sig"))))
    assert len(day_rows) == summary.span.days and day_rows[0]["date"] == "2026-08-01"


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralized(engine):
    names = ("=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab", HOSTILE)
    rows = tuple(BreakdownRow(f"agt_{i}", name, -35_000 if i == 2 else 10_000, 1, 0, ())
                 for i, name in enumerate(names))
    summary = replace(summarize(engine), agents=rows)
    parsed = list(csv.DictReader(io.StringIO(csv_files(summary)["agents.csv"].decode("utf-8-sig"))))
    assert [r["agent_name"] for r in parsed] == ["'" + n for n in names[:5]] + [HOSTILE]
    assert parsed[2]["credits"] == "-3.5"  # a plain number stays a number
    assert (safe_cell("-3.5"), safe_cell("+12.5%"), safe_cell("-2+3")) == ("-3.5", "+12.5%", "'-2+3")


def headless_env() -> dict:
    """What a scheduled job on a server has: no display, and no Qt platform chosen."""
    return {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}


def test_the_command_line_writes_a_pdf_headless(demo_cache, engine, tmp_path):
    command = [sys.executable, "-m", "a2v2_desktop", "--cache", str(demo_cache), "report", "--from", "2026-10-01",
               "--to", "2026-10-31", "--format", "pdf", "--output", str(tmp_path / "s.pdf")]
    done = subprocess.run(command, capture_output=True, text=True, env=headless_env(), timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    first_page = pages_text(tmp_path / "s.pdf")[0]
    total = text.exact_credits_text(summarize(engine).report.total_credits)
    assert "Kite & Key Learning" in first_page and f"Credits used {total}" in first_page


def report(capsys, cache, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--cache", str(cache), "report", "--from", "2026-10-01", "--to", "2026-10-31", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_stays_as_it_was_and_agent_filters_every_format(demo_cache, engine, tmp_path, capsys):
    code, out, _err = report(capsys, demo_cache)
    assert code == 0 and out == report_to_json(build_spend_report(engine, OCTOBER.first, OCTOBER.last))
    agent = json.loads(out)["by_agent"][0]
    filtered = json.loads(report(capsys, demo_cache, "--agent", agent["agent_id"], "--format", "json")[1])
    assert filtered["by_agent"] == [agent] and filtered["total_credits"] == agent["credits"]
    assert filtered["agent_ids"] == [agent["agent_id"]]
    assert report(capsys, demo_cache, "--agent", agent["agent_id"], "--format", "csv",
                  "--output", tmp_path / "one.zip")[0] == 0
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        agents = archive.read("agents.csv").decode("utf-8-sig")
    assert agent["agent_id"] in agents and len(agents.strip().splitlines()) == 2
    assert report(capsys, demo_cache, "--format", "csv", "--output", tmp_path / "tables")[0] == 0
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == sorted(csv_files(summarize(engine)))


@pytest.mark.parametrize("args,message", [
    (("--format", "pdf"), "error: --format pdf needs --output PATH (a .pdf file)"),
    (("--format", "csv"), "error: --format csv needs --output PATH (a .zip file, or a folder for one file per table)"),
    (("--agent", "agt_nope"), "error: no agent with id 'agt_nope' in the cache"),
    (("--format", "pdf", "--output", "/nonexistent/folder/s.pdf"),
     "error: cannot write /nonexistent/folder/s.pdf: No such file or directory"),
])
def test_report_mistakes_get_one_error_line(demo_cache, capsys, args, message):
    code, out, err = report(capsys, demo_cache, *args)
    assert (code, out, err.splitlines()) == (1, "", [message])


def test_paper_follows_the_locale_and_headless_linux_renders_offscreen():
    from PySide6.QtCore import QLocale

    from a2v2_desktop.printing.page import A4, LETTER, locale_paper, page_layout
    from a2v2_desktop.printing.qt_app import needs_offscreen

    assert locale_paper(QLocale(QLocale.English, QLocale.UnitedStates)) == LETTER
    assert locale_paper(QLocale(QLocale.English, QLocale.Canada)) == LETTER
    assert locale_paper(QLocale(QLocale.German, QLocale.Germany)) == A4
    assert locale_paper(QLocale(QLocale.English, QLocale.UnitedKingdom)) == A4
    assert page_layout(LETTER).orientation() == page_layout(A4).orientation() == page_layout(A4).Orientation.Portrait
    assert needs_offscreen({}, "linux") and not needs_offscreen({"DISPLAY": ":0"}, "linux")
    assert not needs_offscreen({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not needs_offscreen({"QT_QPA_PLATFORM": "xcb"}, "linux") and not needs_offscreen({}, "darwin")
