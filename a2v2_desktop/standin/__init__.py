"""The local stand-in server and the deterministic demo organization it serves (stdlib only, no Qt)."""

from a2v2_desktop.standin.generator import FEEDS, DemoOrg, OrgSpec, current_records
from a2v2_desktop.standin.server import (DEMO_API_KEY, DEMO_API_SECRET, Faults, StandinServer, add_arguments,
                                         serve_from_args)

__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "FEEDS", "DemoOrg", "Faults", "OrgSpec", "StandinServer",
           "add_arguments", "current_records", "serve_from_args"]
