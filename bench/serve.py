"""The stand-in in a process of its own, serving a benchmark organization over loopback HTTP.

    python -m bench.serve --org large

Prints `url <base url>` once it serves. Then each line on stdin is a command:
`advance <seconds>` simulates that much more time and answers `advanced <usage lines>`;
end of input stops it. A separate process, so the server's Python and the client's do
not share one GIL, as with the real platform.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from a2v2_desktop.standin.server import UNLIMITED, Faults, StandinServer
from bench.orgs import SPECS, generate


def advance(org, seconds: int) -> int:
    """New usage for `seconds` after the frozen clock, then frozen again (deterministic)."""
    with org.lock:
        org.frozen = False
        try:
            return org.advance(org.now + timedelta(seconds=seconds))
        finally:
            org.frozen = True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--org", choices=sorted(SPECS), default="medium")
    args = parser.parse_args()
    org = generate(args.org)
    server = StandinServer(org, port=0, faults=Faults(rate_limits=UNLIMITED)).start()
    print(f"url {server.base_url}", flush=True)
    for line in sys.stdin:
        command, _, value = line.partition(" ")
        if command == "advance":
            print(f"advanced {advance(org, int(value))}", flush=True)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
