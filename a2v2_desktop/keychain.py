"""The API key and secret in the OS keychain (keyring), never anywhere else.

When no keychain backend exists (a headless Linux box), callers are told with
KeychainUnavailable so they can offer to hold the secret in memory for the
session instead of silently writing it in plain text.
"""

from __future__ import annotations

import os
from types import ModuleType

from a2v2_desktop.api.endpoint import Credentials

SERVICE = "A2V2 Desktop"
ENV_KEY, ENV_SECRET = "A2V2_API_KEY", "A2V2_API_SECRET"


class KeychainUnavailable(Exception):
    """No usable OS keychain: the secret can only be kept in memory for this session."""


def _keyring() -> ModuleType:
    """keyring, loaded by the first keychain call: importing it and its backends costs start-up
    about 0.1 s before the window's first paint, and the keychain is read only after it."""
    import keyring
    import keyring.errors

    return keyring


def _usable_backend() -> ModuleType:
    keyring = _keyring()
    backend = keyring.get_keyring()
    if backend.priority <= 0 or type(backend).__module__.startswith(("keyring.backends.fail", "keyring.backends.null")):
        raise KeychainUnavailable(
            "No OS keychain is available on this system, so the API secret cannot be stored safely."
        )
    return keyring


def credentials_from_env(environ: dict[str, str] | None = None) -> Credentials | None:
    environ = os.environ if environ is None else environ
    key, secret = environ.get(ENV_KEY), environ.get(ENV_SECRET)
    return Credentials(key, secret) if key and secret else None


def load_credentials(profile: str = "default") -> Credentials | None:
    """The stored key and secret for a profile, or None when none are stored."""
    errors = _keyring().errors
    try:
        keyring = _usable_backend()
        key = keyring.get_password(SERVICE, f"{profile}:api-key")
        secret = keyring.get_password(SERVICE, f"{profile}:api-secret")
    except errors.KeyringError as error:
        raise KeychainUnavailable(f"The OS keychain could not be read: {error}") from None
    return Credentials(key, secret) if key and secret else None


def save_credentials(credentials: Credentials, profile: str = "default") -> None:
    errors = _keyring().errors
    try:
        keyring = _usable_backend()
        keyring.set_password(SERVICE, f"{profile}:api-key", credentials.api_key)
        keyring.set_password(SERVICE, f"{profile}:api-secret", credentials.api_secret)
    except (errors.KeyringError, errors.NoKeyringError) as error:
        raise KeychainUnavailable(f"The OS keychain refused the secret: {error}") from None


def delete_credentials(profile: str = "default") -> None:
    keyring = _keyring()
    for entry in ("api-key", "api-secret"):
        try:
            keyring.delete_password(SERVICE, f"{profile}:{entry}")
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as error:
            raise KeychainUnavailable(f"The OS keychain could not be changed: {error}") from None
