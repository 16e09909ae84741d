"""Typed API failures, each with a message a person can act on."""

from __future__ import annotations


class ApiError(Exception):
    """Any failure talking to the platform; str() is shown to the user as is."""


class AuthenticationError(ApiError):
    """401/403: the key or secret is wrong, or lacks the scope."""


class NetworkError(ApiError):
    """The server could not be reached or the connection broke, after retries."""


class ServerError(ApiError):
    """The server kept answering with errors or unreadable bodies, after retries."""


class RequestError(ApiError):
    """The server refused the request itself (4xx other than auth): retrying will not help."""


class CursorExpired(ApiError):
    """410 cursor_expired: the feed must restart from after_seq=0."""


class Cancelled(Exception):
    """The user cancelled while the client was waiting or retrying."""


class UnsafeUrlError(ApiError):
    """An API URL that would send the secret unencrypted to another machine."""


class ResponseTooLarge(ApiError):
    """An answer far larger than asked for (bytes or records): refused at once, never retried,
    because asking again would only read the same oversized answer again."""
