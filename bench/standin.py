"""Starting and steering the stand-in process (`bench.serve`) from the benchmark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from a2v2_desktop.api.client import Credentials
from a2v2_desktop.standin.server import DEMO_API_KEY, DEMO_API_SECRET

CREDENTIALS = Credentials(DEMO_API_KEY, DEMO_API_SECRET)
ROOT = Path(__file__).resolve().parent.parent


class StandinProcess:
    """The stand-in serving one benchmark organization; generating the large one takes about half a minute."""

    def __init__(self, org: str):
        self.process = subprocess.Popen([sys.executable, "-m", "bench.serve", "--org", org], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.base_url = self._answer("url")

    def _answer(self, word: str) -> str:
        line = self.process.stdout.readline()
        if not line.startswith(word + " "):
            self.close()
            raise RuntimeError(f"the stand-in process did not start (said {line!r})")
        return line.split(" ", 1)[1].strip()

    def advance(self, seconds: int) -> int:
        """Let the organization live `seconds` more; returns the usage lines that adds."""
        self.process.stdin.write(f"advance {seconds}\n")
        self.process.stdin.flush()
        return int(self._answer("advanced"))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)

    def __enter__(self) -> StandinProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
