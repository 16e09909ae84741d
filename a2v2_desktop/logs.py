"""Logging to a rotating file in the user log dir, with secrets redacted.

Every record passes a filter that replaces any registered secret (and anything
that looks like an X-API-Secret header) before it is formatted, so a secret that
slips into an exception message still never reaches the disk.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

from a2v2_desktop import paths

LOG_NAME = "a2v2-desktop.log"
_HEADER = re.compile(r"(x-api-secret['\"]?\s*[:=]\s*['\"]?)([^'\"\s,}]+)", re.IGNORECASE)
REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Replaces known secrets in a record's message and arguments."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret:
            self.secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _HEADER.sub(lambda m: m.group(1) + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


REDACTOR = RedactSecrets()


def log_file() -> Path:
    return paths.log_dir() / LOG_NAME


def setup_logging(level: int = logging.INFO) -> Path:
    """Send the app's logs to a private rotating file (1 MB × 5); returns its path."""
    path = log_file()
    paths.ensure_private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    root = logging.getLogger("a2v2_desktop")
    for old in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        if old.baseFilename == str(path.resolve()):
            return path
        root.removeHandler(old)  # the log folder moved (tests, a changed profile)
        old.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(REDACTOR)
    root.addHandler(handler)
    root.setLevel(level)
    return path
