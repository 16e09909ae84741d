"""The JSON report is a short process: it must not pay for the ORM, the network stack or Qt."""

import json
import subprocess
import sys

from a2v2_desktop.cache.db import open_cache
from a2v2_desktop.cache.writes import save_organization

HEAVY = ("sqlalchemy.orm", "alembic", "httpx", "pydantic", "PySide6", "pyqtgraph")


def test_the_json_report_imports_only_sqlalchemy_core(cache_path):
    engine = open_cache(cache_path)
    with engine.begin() as connection:
        save_organization(connection, {"id": "org_1", "name": "Acme", "timezone": "UTC", "created_at": 0})
    engine.dispose()
    code = (
        "import sys\n"
        "from a2v2_desktop.cli import main\n"
        f"code = main(['--cache', {str(cache_path)!r}, 'report', '--from', '2026-11-01', '--to', '2026-11-02'])\n"
        f"print(code, sorted(name for name in {HEAVY!r} if name in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "0 []"
    assert json.loads(done.stdout)["organization"] == {"id": "org_1", "name": "Acme"}
