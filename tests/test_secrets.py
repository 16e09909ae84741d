"""The API secret never lands in settings, the cache, the logs, reports or process arguments."""

import logging
import subprocess
import sys

from a2v2_desktop.cli import main
from a2v2_desktop.logs import REDACTOR, log_file
from a2v2_desktop.paths import config_dir, data_dir
from a2v2_desktop.standin.generator import OrgSpec
from a2v2_desktop.standin.server import DEMO_API_KEY, Faults, StandinServer

SECRET = "s3cr3t-Never-Written-0451"


def test_full_session_leaves_no_trace_of_the_secret(standin, tmp_path, monkeypatch, capsys):
    org = standin(OrgSpec(seed=11, agents=4, members=3, days=7)).org
    server = StandinServer(org, port=0, api_secret=SECRET, faults=Faults(seed=3, rate_5xx=0.2, rate_cut=0.1)).start()
    try:
        monkeypatch.setenv("A2V2_API_KEY", DEMO_API_KEY)
        monkeypatch.setenv("A2V2_API_SECRET", SECRET)
        cache = data_dir() / "cache.sqlite"
        assert main(["--api-url", server.base_url, "sync"]) == 0
        assert main(["report", "--from", "2026-11-01", "--to", "2026-11-30", "--output", str(tmp_path / "r.json")]) == 0
        monkeypatch.setenv("A2V2_API_SECRET", SECRET + "-wrong")
        assert main(["--api-url", server.base_url, "sync"]) == 1
        logging.getLogger("a2v2_desktop.test").error("leak attempt %s", SECRET + "-wrong", exc_info=ValueError(SECRET))
        for handler in logging.getLogger("a2v2_desktop").handlers:
            handler.flush()
    finally:
        server.stop()
    out, err = capsys.readouterr()
    assert cache.exists() and log_file().exists() and log_file().stat().st_size > 0
    written = [p for root in (config_dir(), data_dir(), log_file().parent, tmp_path) for p in root.rglob("*") if p.is_file()]
    assert len(written) >= 3
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in out + err
    assert "[redacted]" in log_file().read_text(encoding="utf-8")


def test_secret_is_not_in_process_arguments(standin, cache_path, monkeypatch):
    server = standin(OrgSpec(seed=11, agents=4, members=3, days=7))
    environment = {"A2V2_API_KEY": DEMO_API_KEY, "A2V2_API_SECRET": "demo-secret"}
    process = subprocess.Popen([sys.executable, "-m", "a2v2_desktop", "--api-url", server.base_url, "--cache", str(cache_path),
                                "sync", "--quiet"], env={**__import__("os").environ, **environment})
    try:
        with open(f"/proc/{process.pid}/cmdline", "rb") as handle:
            assert b"demo-secret" not in handle.read()
    finally:
        assert process.wait(timeout=60) == 0


def test_redactor_masks_header_shaped_text():
    assert REDACTOR.redact("headers={'X-API-Secret': 'abc123'}") == "headers={'X-API-Secret': '[redacted]'}"
