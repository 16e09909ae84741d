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


@dataclass(frozen=True)
class Target:
    """One organization to sync: its keychain profile, the name we know it by, its URL and its cache."""

    profile: str
    name: str  # untrusted text; empty when none is known yet
    api_url: str
    cache: str


@dataclass(frozen=True)
class Synced:
    result: object  # SyncResult
    statements: list  # reports.statements.Statement, saved for billing periods this sync saw close
    organization: str  # its name in the cache (untrusted text), else the name we knew it by


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
    parser.add_argument("--smoke-test", action="store_true",
                        help="open the window on a throw-away demo, sync it, show each panel once and exit "
                             "(0 when all worked); checks an installed bundle")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sync = commands.add_parser("sync", parents=[common], help="pull everything new into the cache, then check "
                               "the alert rules (new alerts are printed, one line each)")
    sync.add_argument("--quiet", action="store_true", help="no progress on stderr")
    which = sync.add_mutually_exclusive_group()
    which.add_argument("--org", metavar="PROFILE_OR_NAME",
                       help="sync this organization connected in the app (its keychain profile or its name) "
                            "instead of the default one")
    which.add_argument("--all", action="store_true",
                       help="sync every organization connected in the app, one after another, each with its own "
                            "key, secret and cache; one line each, exit 1 if any failed")

    report = commands.add_parser("report", parents=[common], help="spend summary from the cache (works offline)")
    report.add_argument("--from", dest="first", type=_iso_date, required=True, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="last", type=_iso_date, required=True, metavar="YYYY-MM-DD")
    report.add_argument("--timezone", metavar="IANA", help="days in this zone (default: the organization's)")
    report.add_argument("--format", choices=["json", "pdf", "csv"], default="json",
                        help="json (stdout or --output), pdf (--output FILE.pdf) or csv (--output FILE.zip, "
                             "or --output FOLDER for one file per table)")
    report.add_argument("--output", metavar="PATH", help="write here instead of stdout (required for pdf and csv)")
    report.add_argument("--agent", dest="agent_ids", action="append", metavar="ID",
                        help="only this agent's spend (repeat for several; default: all agents)")
    report.add_argument("--paper", choices=["a4", "letter"], help="PDF paper size (default: by the locale)")

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


def _credentials(profile: str):
    """The environment's (default profile only, as in the window), else the profile's keychain entry:
    one organization's secret is never used for another."""
    from a2v2_desktop import keychain
    from a2v2_desktop.logs import REDACTOR
    from a2v2_desktop.settings import DEFAULT_PROFILE

    credentials = keychain.credentials_from_env() if profile == DEFAULT_PROFILE else None
    if credentials is None:
        try:
            credentials = keychain.load_credentials(profile)
        except keychain.KeychainUnavailable:
            credentials = None
    if credentials is None and profile == DEFAULT_PROFILE:
        raise CliError(
            "no API key: set A2V2_API_KEY and A2V2_API_SECRET, or connect your organization in the app"
        )
    if credentials is None:
        raise CliError("no API key and secret are stored for this organization on this computer: "
                       "connect it again in the app")
    REDACTOR.add(credentials.api_secret)
    return credentials


def sync_targets(args: argparse.Namespace) -> list[Target]:
    """The default organization (flags, environment, saved settings), or --org's, or every one (--all).

    As in the window, --api-url, --cache and their variables stand for the default profile's."""
    from a2v2_desktop.settings import DEFAULT_PROFILE, load_settings

    default = resolve(args)
    if not (args.all or args.org):
        return [Target(DEFAULT_PROFILE, "", default.api_url, default.cache)]
    targets = [Target(org.profile, org.name, default.api_url, default.cache) if org.profile == DEFAULT_PROFILE
               else Target(org.profile, org.name, org.api_url, org.cache_location())
               for org in load_settings().organizations]
    if not targets:
        raise CliError("no organization is connected: connect one in the app, or run `a2v2-desktop sync` "
                       "with A2V2_API_KEY and A2V2_API_SECRET")
    return targets if args.all else [_chosen(targets, args.org)]


def _chosen(targets: list[Target], wanted: str) -> Target:
    """By keychain profile, else by name (case aside); a name two organizations share is refused."""
    found = ([t for t in targets if t.profile == wanted]
             or [t for t in targets if t.name.casefold() == wanted.casefold()])
    if len(found) == 1:
        return found[0]
    known = ", ".join(f"{t.profile} ({_terminal_text(t.name)})" if t.name else t.profile for t in targets)
    if found:
        raise CliError(f"several organizations are called {_terminal_text(wanted)!r}: pass its profile ({known})")
    raise CliError(f"no connected organization is called {_terminal_text(wanted)!r}; connected: {known}")


def _terminal_text(text: str) -> str:
    """Untrusted text (names, alert figures) printed as it is, minus control characters a terminal obeys."""
    return "".join(character if character.isprintable() else " " for character in text)


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
            speed = progress.speed_text()  # rate and time left while it runs; the final line keeps the count
            self._write(f"{self.line} · {speed}" if speed else self.line, final=False)

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
    """One organization (failures raise, as ever), or several: one line each, exit 1 if any failed."""
    targets = sync_targets(args)
    if not (args.all or args.org):
        synced = sync_one(targets[0], args)
        if not args.quiet:
            print(f"synced {_records_text(synced)}", file=sys.stderr)
            _print_statements(synced.statements)
        return 0
    failed = 0
    for target in targets:
        try:
            synced = sync_one(target, args)
        except _known_errors() as error:
            failed += 1
            log.warning("sync of %s failed: %s", target.profile, error)
            print(f"{_terminal_text(target.name or target.profile)}: failed: {_one_line(error)}")
        else:
            print(f"{_terminal_text(synced.organization)}: synced {_records_text(synced)}")
            if not args.quiet:
                _print_statements(synced.statements)
    return EXIT_FAILURE if failed else 0


def _records_text(synced: Synced) -> str:
    return f"{synced.result.total_records:,} records in {synced.result.seconds:.1f} s"


def upgrade_saying_so(work) -> None:
    """A cache from an older version is upgraded once, which can take a minute: say so first."""
    print("Updating the cache for this version of A2V2 Desktop (once; it may take a minute)…", file=sys.stderr,
          flush=True)
    work()


def sync_one(target: Target, args: argparse.Namespace) -> Synced:
    """Sync one organization into its cache, then check its alert rules (after a failed sync too: "a
    sync that keeps failing" is one) and print the new alerts; raises what stopped the sync."""
    from a2v2_desktop.api.client import ApiClient
    from a2v2_desktop.cache.db import open_cache
    from a2v2_desktop.sync.engine import SyncEngine, SyncError

    credentials = _credentials(target.profile)
    engine = open_cache(target.cache, upgrade=upgrade_saying_so)
    printer = None if args.quiet else ProgressPrinter()
    cancel = threading.Event()
    named = bool(args.all or args.org)
    try:
        try:
            with ApiClient(target.api_url, credentials, cancel=cancel) as client:
                result = SyncEngine(client, engine, progress=printer, cancel=cancel).run()
        except SyncError:
            _print_alerts(engine, target, named)
            raise
        finally:
            if printer:
                printer.close()
        organization = _print_alerts(engine, target, named)
        statements = _save_statements(engine, target.cache)
    finally:
        engine.dispose()
    return Synced(result, statements, organization)


def _print_statements(statements: list) -> None:
    for statement in statements:
        print(f"saved the statement for {statement.first} to {statement.last}: {statement.pdf_path}",
              file=sys.stderr)


def _print_alerts(engine, target: Target, named: bool) -> str:
    """The window's check after a sync, so an alert fires once whichever saw it first; one line each on
    stdout, named after the organization when several may be synced. Returns that name."""
    from a2v2_desktop.insights.watch import titled, watch

    watched = watch(engine, int(time.time()))
    name = watched.organization or target.name or target.profile
    for alert in watched.alerts:
        title = titled(alert.title, name) if named else alert.title
        print(_terminal_text(f"alert: {title}: {alert.detail}"))
    return name


def _save_statements(engine, cache: str) -> list:
    """A billing period the sync saw close gets its statement; failing to write one does not fail the sync."""
    from a2v2_desktop.reports.spend import ReportError
    from a2v2_desktop.reports.statements import save_closed_period_statements

    try:
        return save_closed_period_statements(engine, cache, demo=_is_demo_cache(cache))
    except (OSError, ReportError) as error:
        log.warning("statement not saved: %s", error)
        print(f"warning: the closed billing period's statement was not saved ({_one_line(error)})", file=sys.stderr)
        return []


def _is_demo_cache(cache: str) -> bool:
    """The window's demo cache: its reports carry the "demo data" mark."""
    from a2v2_desktop.cache.db import cache_file
    from a2v2_desktop.paths import demo_cache_path

    return cache_file(cache) == cache_file(str(demo_cache_path()))


def command_report(args: argparse.Namespace) -> int:
    """JSON to stdout or --output; pdf and csv need --output (binary or several files have no place on stdout)."""
    from a2v2_desktop.cache.db import open_cache
    from a2v2_desktop.reports.spend import build_spend_report, report_to_json

    settings = resolve(args)
    _refuse_missing_cache(settings.cache)
    if args.format != "json" and not args.output:
        where = "a .pdf file" if args.format == "pdf" else "a .zip file, or a folder for one file per table"
        raise CliError(f"--format {args.format} needs --output PATH ({where})")
    engine = open_cache(settings.cache, upgrade=upgrade_saying_so)
    try:
        if args.format != "json":
            return _write_summary(engine, args, settings.cache)
        text = report_to_json(build_spend_report(engine, args.first, args.last, args.timezone, args.agent_ids))
    finally:
        engine.dispose()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _write_summary(engine, args: argparse.Namespace, cache: str) -> int:
    """The printed summary as a PDF, or its tables as CSV; offline, and headless when there is no display."""
    from a2v2_desktop.insights.ranges import DateRange
    from a2v2_desktop.reports.summary import SummaryRequest, build_summary

    request = SummaryRequest(DateRange(args.first, args.last), int(time.time()), tuple(args.agent_ids or ()),
                             args.timezone or "", demo=_is_demo_cache(cache))
    with engine.connect() as connection:
        summary = build_summary(connection, request)
    if args.format == "pdf":
        from a2v2_desktop.printing.pdf import write_pdf

        write_pdf(summary, Path(args.output), args.paper)
    else:
        from a2v2_desktop.reports.exports import write_csv

        write_csv(summary, Path(args.output))
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
