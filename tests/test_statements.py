"""Statements: a sync that sees a billing period close saves its summary once (PDF + JSON); later changes are
noted on the next statement, never written into a saved one; a statement can be regenerated on request."""

from __future__ import annotations

import json
from datetime import timedelta

import pypdf
from a2v2_desktop import paths
from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cli import main
from a2v2_desktop.domain.credits import parse_credits
from a2v2_desktop.domain.times import local_day_bounds, zone
from a2v2_desktop.insights import text
from a2v2_desktop.reports.spend import build_spend_report, report_to_json_dict
from a2v2_desktop.reports.statements import (
    closed_periods,
    list_statements,
    regenerate_statement,
    save_closed_period_statements,
    statements_dir,
)
from a2v2_desktop.standin.generator import OrgSpec
from tests.conftest import FIXED_NOW
from tests.test_sync_e2e import sync_in_process

SMALL = OrgSpec(seed=11, agents=4, members=3, days=40)
CORRECTION = 12_345  # 1.2345 credits added to a line of a closed period after its statement was saved


def advance(server, days: int):
    """Let the stand-in's organization live on for some days (a renewal falls in them), then freeze it again."""
    org = server.org
    with org.lock:
        org.frozen = False
        org.advance(org.now + timedelta(days=days))
        org.frozen = True
    return org.now


def correct_a_line(server, statement, extra: int) -> None:
    """The stand-in re-sends one usage line of the statement's period with more credits (a late correction):
    the next sync stores it as any revised record, rollups and all."""
    usage = server.org.feeds["usage"]
    start, end = local_day_bounds(statement.first, statement.last, zone(statement.timezone))
    with server.org.lock:
        row = next(usage.row(i) for i in range(len(usage)) if start <= usage.row(i)[2] < end)
        usage.add(tuple(row[1:9]) + (row[9] + extra,))  # the same id, a higher seq


def files(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages)


def test_periods_close_when_a_later_snapshot_starts_a_later_period():
    assert closed_periods([(10, 20), (10, 20), (20, 30), (20, 30), (30, 40)]) == [
        closed_periods([(10, 20), (20, 30)])[0], closed_periods([(20, 30), (30, 40)])[0]]
    assert closed_periods([(10, 20), (10, 20)]) == []


def test_statements_are_saved_once_and_revisions_go_on_the_next(standin, demo_env, cache_path, capsys, qapp):
    server = standin(SMALL)
    sync_in_process(server, cache_path, clock=FIXED_NOW.timestamp)
    engine = open_cache(cache_path)
    folder = statements_dir(str(cache_path))
    try:
        assert save_closed_period_statements(engine, str(cache_path), now=int(FIXED_NOW.timestamp())) == []
        assert not folder.exists()

        advance(server, 2)  # past the renewal on 28 Nov
        capsys.readouterr()
        assert main(["--api-url", server.base_url, "--cache", str(cache_path), "sync"]) == 0
        saved_line = capsys.readouterr().err.splitlines()[-1]
        [first] = list_statements(folder)
        assert saved_line == f"saved the statement for {first.first} to {first.last}: {first.pdf_path}"
        assert first.pdf_path.exists() and first.revisions == ()
        contract = report_to_json_dict(build_spend_report(engine, first.first, first.last))
        stored = first.read()
        assert {k: stored[k] for k in contract} == contract
        assert text.exact_credits_text(first.total) in pdf_text(first.pdf_path)
        kept = files(folder)

        assert save_closed_period_statements(engine, str(cache_path)) == []  # once
        correct_a_line(server, first, CORRECTION)
        sync_in_process(server, cache_path, clock=lambda: server.org.now.timestamp())
        assert build_spend_report(engine, first.first, first.last).total_credits == first.total + CORRECTION
        assert save_closed_period_statements(engine, str(cache_path)) == []
        assert files(folder) == kept  # the saved statement is not rewritten

        advance(server, 31)  # the next renewal
        sync_in_process(server, cache_path, clock=lambda: server.org.now.timestamp())
        [second] = save_closed_period_statements(engine, str(cache_path), now=int(server.org.now.timestamp()))
        assert second.first == first.last + timedelta(days=1)
        now_total = build_spend_report(engine, first.first, first.last).total_credits  # late lines count too
        assert [(r.first, r.last, r.stated, r.current) for r in second.revisions] == [
            (first.first, first.last, first.total, now_total)]
        assert now_total - first.total >= CORRECTION
        assert "Revisions to earlier statements" in pdf_text(second.pdf_path)
        assert {name: content for name, content in files(folder).items() if name in kept} == kept
    finally:
        engine.dispose()


def test_a_statement_regenerates_beside_the_saved_one_showing_what_changed(standin, cache_path, qapp):
    server = standin(SMALL)
    sync_in_process(server, cache_path, clock=FIXED_NOW.timestamp)
    advance(server, 2)
    sync_in_process(server, cache_path, clock=lambda: server.org.now.timestamp())
    engine = open_cache(cache_path)
    try:
        [statement] = save_closed_period_statements(engine, str(cache_path), demo=True)
        saved = statement.json_path.read_bytes()
        unchanged = regenerate_statement(engine, statement)
        assert [c.before == c.after for c in unchanged.changes] == [True]
        correct_a_line(server, statement, 2_500)
        sync_in_process(server, cache_path, clock=lambda: server.org.now.timestamp())
        result = regenerate_statement(engine, statement)
    finally:
        engine.dispose()
    total = result.changes[0]
    assert total.what == "Total credits" and total.before == json.loads(saved)["total_credits"]
    assert parse_credits(total.after) - parse_credits(total.before) == 2_500
    assert any(change.what.startswith("Agent: ") for change in result.changes)
    assert result.pdf_path.parent.name == "regenerated" and result.pdf_path.exists()
    assert "DEMO DATA" in pdf_text(result.pdf_path) and "STATEMENT (REGENERATED)" in pdf_text(result.pdf_path)
    assert statement.json_path.read_bytes() == saved


def test_statements_live_beside_a_cache_file_or_in_the_data_folder(tmp_path):
    assert statements_dir(str(tmp_path / "cache.sqlite")) == tmp_path / "statements"
    assert statements_dir(f"sqlite:///{tmp_path / 'other.sqlite'}") == tmp_path / "statements"
    assert statements_dir("sqlite://") == paths.data_dir() / "statements"
