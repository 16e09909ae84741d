"""A2V2 Desktop: spend, billing and agent analytics for A2V2.ai organization Owners."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("a2v2-desktop")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
