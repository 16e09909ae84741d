"""The command line's contract: settings precedence, progress, output files, clean errors."""

import json
import subprocess
import sys

from a2v2_desktop import __version__
from a2v2_desktop.cli import build_parser, main, resolve
from a2v2_desktop.settings import Settings, save_settings
from a2v2_desktop.standin.generator import OrgSpec

SMALL = OrgSpec(seed=11, agents=4, members=3, days=10)


def test_version_from_package_metadata():
    out = subprocess.run([sys.executable, "-m", "a2v2_desktop", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"a2v2-desktop {__version__}" and __version__ != "0.0.0+source"


def test_flags_beat_environment_beat_saved_settings(monkeypatch, tmp_path):
    save_settings(Settings(api_url="https://saved.example/v1/open", cache=str(tmp_path / "saved.sqlite")))
    parse = build_parser().parse_args
    assert resolve(parse(["sync"])).api_url == "https://saved.example/v1/open"
    monkeypatch.setenv("A2V2_API_URL", "https://env.example/v1/open")
    monkeypatch.setenv("A2V2_CACHE", str(tmp_path / "env.sqlite"))
    assert resolve(parse(["sync"])) .api_url == "https://env.example/v1/open"
    assert resolve(parse(["sync"])).cache == str(tmp_path / "env.sqlite")
    flagged = resolve(parse(["--api-url", "https://flag.example/v1/open", "sync", "--cache", "x.sqlite"]))
    assert (flagged.api_url, flagged.cache) == ("https://flag.example/v1/open", "x.sqlite")


def test_sync_prints_progress_per_feed_and_report_writes_file(standin, demo_env, cache_path, capsys, tmp_path):
    server = standin(SMALL)
    assert main(["--api-url", server.base_url, "--cache", str(cache_path), "sync"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("usage: ") and line.endswith(" records") for line in err)
    assert err[-1].startswith("synced ") and "records in" in err[-1]
    output = tmp_path / "out" / "report.json"
    output.parent.mkdir()
    assert main(["--cache", str(cache_path), "report", "--from", "2026-11-01", "--to", "2026-11-30",
                 "--output", str(output)]) == 0
    assert json.loads(output.read_text(encoding="utf-8"))["from"] == "2026-11-01"
    assert capsys.readouterr().out == ""


def test_report_without_a_cache_says_what_to_do(tmp_path, capsys):
    code = main(["--cache", str(tmp_path / "missing.sqlite"), "report", "--from", "2026-11-01", "--to", "2026-11-02"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err == [f"error: no cache at {tmp_path / 'missing.sqlite'}: run `a2v2-desktop sync` first, or pass --cache"]
    assert not (tmp_path / "missing.sqlite").exists()


def test_report_rejects_an_unknown_zone_and_a_reversed_range(standin, demo_env, cache_path, capsys):
    server = standin(SMALL)
    assert main(["--api-url", server.base_url, "--cache", str(cache_path), "sync", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["--cache", str(cache_path), "report", "--from", "2026-11-01", "--to", "2026-11-02", "--timezone", "Mars/Base"]) == 1
    assert capsys.readouterr().err.strip() == "error: unknown time zone: 'Mars/Base'"
    assert main(["--cache", str(cache_path), "report", "--from", "2026-11-05", "--to", "2026-11-02"]) == 1
    assert "before it starts" in capsys.readouterr().err


def test_sync_without_credentials_says_how_to_give_them(cache_path, capsys):
    assert main(["--cache", str(cache_path), "sync"]) == 1
    assert capsys.readouterr().err.startswith("error: no API key: set A2V2_API_KEY and A2V2_API_SECRET")
