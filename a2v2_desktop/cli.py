"""The command line: `a2v2-desktop [sync | report | serve-demo]`; no subcommand opens the window.

Settings come from flags, else the environment, else saved settings. The API key
and secret come only from the environment or the OS keychain. Failures print one
`error: ...` line on stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from a2v2_desktop import __version__

log = logging.getLogger(__name__)

EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class CliError(Exception):
    """A failure to report as one `error:` line."""


@dataclass(frozen=True)
class Resolved:
    api_url: str
    cache: str


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS so an option given before the subcommand is not reset by the subparser's default.
    common.add_argument("--api-url", metavar="URL", default=argparse.SUPPRESS,
                        help="API base URL (env A2V2_API_URL; default https://api.a2v2.ai/v1/open)")
    common.add_argument("--cache", metavar="PATH_OR_URL", default=argparse.SUPPRESS,
                        help="cache file or SQLAlchemy URL (env A2V2_CACHE; default in the user data dir)")
    return common


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="a2v2-desktop", parents=[common],
        description="A2V2 Desktop: what your A2V2.ai organization spends, offline and exact.",
    )
    parser.add_argument("--version", action="version", version=f"a2v2-desktop {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sync = commands.add_parser("sync", parents=[common], help="pull everything new into the cache")
    sync.add_argument("--quiet", action="store_true", help="no progress on stderr")

    report = commands.add_parser("report", parents=[common], help="spend summary from the cache (works offline)")
    report.add_argument("--from", dest="first", type=_iso_date, required=True, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="last", type=_iso_date, required=True, metavar="YYYY-MM-DD")
    report.add_argument("--timezone", metavar="IANA", help="days in this zone (default: the organization's)")
    report.add_argument("--format", choices=["json"], default="json")
    report.add_argument("--output", metavar="PATH", help="write here instead of stdout")

    from a2v2_desktop.standin.server import add_arguments as add_standin_arguments

    serve = commands.add_parser("serve-demo", help="run the local stand-in of the platform API")
    add_standin_arguments(serve)
    return parser


def resolve(args: argparse.Namespace) -> Resolved:
    """Flags, else environment, else saved settings."""
    from a2v2_desktop.settings import load_settings

    saved = load_settings()
    api_url = getattr(args, "api_url", None) or os.environ.get("A2V2_API_URL") or saved.api_url
    cache = getattr(args, "cache", None) or os.environ.get("A2V2_CACHE") or saved.cache_location()
    return Resolved(api_url=api_url, cache=cache)


def _credentials():
    from a2v2_desktop import keychain

    from a2v2_desktop.logs import REDACTOR

    credentials = keychain.credentials_from_env()
    if credentials is None:
        try:
            credentials = keychain.load_credentials()
        except keychain.KeychainUnavailable:
            credentials = None
    if credentials is None:
        raise CliError(
            "no API key: set A2V2_API_KEY and A2V2_API_SECRET, or connect your organization in the app"
        )
    REDACTOR.add(credentials.api_secret)
    return credentials


class ProgressPrinter:
    """Progress on stderr: an updating line on a terminal, one line per feed otherwise."""

    def __init__(self, stream=None):
        from a2v2_desktop.api.records import FEEDS

        self.feeds = FEEDS
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.stage: str | None = None
        self.line = ""
        self.last_update = 0.0

    def __call__(self, progress) -> None:
        if progress.waiting_reason:
            self._write(f"{progress.waiting_reason} — retrying in {progress.waiting_seconds:.0f} s", final=True)
            return
        if progress.stage != self.stage:
            self.close()
            self.stage = progress.stage
        self.line = f"{progress.stage}: {progress.stage_records:,} records" if progress.stage in self.feeds else ""
        if self.tty and self.line and time.monotonic() - self.last_update > 0.2:
            self._write(self.line, final=False)

    def close(self) -> None:
        """End the current feed's line."""
        if self.line:
            self._write(self.line, final=True)
            self.line = ""

    def _write(self, text: str, final: bool) -> None:
        self.last_update = time.monotonic()
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
        elif final:
            self.stream.write(text + "\n")
        self.stream.flush()


def command_sync(args: argparse.Namespace) -> int:
    from a2v2_desktop.api.client import ApiClient
    from a2v2_desktop.cache.db import open_cache
    from a2v2_desktop.sync.engine import SyncEngine

    settings = resolve(args)
    credentials = _credentials()
    engine, _sessions = open_cache(settings.cache)
    printer = None if args.quiet else ProgressPrinter()
    cancel = threading.Event()
    try:
        with ApiClient(settings.api_url, credentials, cancel=cancel) as client:
            result = SyncEngine(client, engine, progress=printer, cancel=cancel).run()
    finally:
        if printer:
            printer.close()
        engine.dispose()
    if printer:
        print(f"synced {result.total_records:,} records in {result.seconds:.1f} s", file=sys.stderr)
    return 0


def command_report(args: argparse.Namespace) -> int:
    from a2v2_desktop.cache.db import open_cache
    from a2v2_desktop.reports.spend import build_spend_report, report_to_json

    settings = resolve(args)
    _refuse_missing_cache(settings.cache)
    engine, _sessions = open_cache(settings.cache)
    try:
        text = report_to_json(build_spend_report(engine, args.first, args.last, args.timezone))
    finally:
        engine.dispose()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _refuse_missing_cache(cache: str) -> None:
    """A report never creates a cache: a typo in --cache should not look like an empty org."""
    if "://" not in cache and not Path(cache).expanduser().exists():
        raise CliError(f"no cache at {cache}: run `a2v2-desktop sync` first, or pass --cache")


def command_serve_demo(args: argparse.Namespace) -> int:
    from a2v2_desktop.standin.server import serve_from_args

    return serve_from_args(args)


def command_gui(args: argparse.Namespace) -> int:
    from a2v2_desktop.ui.app import run_gui

    return run_gui(args)


COMMANDS = {"sync": command_sync, "report": command_report, "serve-demo": command_serve_demo, None: command_gui}


def _known_errors() -> tuple[type[BaseException], ...]:
    from a2v2_desktop.api.errors import ApiError
    from a2v2_desktop.api.records import InvalidRecordError
    from a2v2_desktop.cache.db import CacheError
    from a2v2_desktop.reports.spend import ReportError
    from a2v2_desktop.sync.engine import SyncError

    return (CliError, ApiError, InvalidRecordError, CacheError, ReportError, SyncError, ValueError, OSError)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from a2v2_desktop.api.errors import Cancelled
    from a2v2_desktop.logs import setup_logging

    try:
        setup_logging()
    except OSError as error:  # an unwritable log folder must not stop the app
        print(f"warning: no log file ({error})", file=sys.stderr)

    try:
        return COMMANDS[args.command](args)
    except (KeyboardInterrupt, Cancelled):
        print("error: interrupted; everything synced so far is kept", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _known_errors() as error:
        log.warning("%s failed: %s", args.command or "window", error)
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:  # the last guard: no traceback in a person's face
        log.exception("unexpected failure")
        print(f"error: unexpected failure ({type(error).__name__}: {_one_line(error)})", file=sys.stderr)
        return EXIT_FAILURE


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
