"""Where the API is and who asks: light enough for the settings, the keychain and the report
command to import without the HTTP client and the record models."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from a2v2_desktop.api.errors import UnsafeUrlError

DEFAULT_API_URL = "https://api.a2v2.ai/v1/open"


@dataclass(frozen=True)
class Credentials:
    api_key: str
    api_secret: str = field(repr=False)


def check_api_url(url: str) -> str:
    """Refuse plain http except to this machine, so the secret never crosses a network in clear."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrlError(f"Not an API URL: {url!r} (expected https://host/path).")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UnsafeUrlError(f"Refusing unencrypted http:// to {parts.hostname}: use https://, or a loopback address.")
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
