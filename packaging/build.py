"""Build the installable bundle for this OS, check that it runs, and archive it — one command:

    python packaging/build.py [--no-archive]

from an environment with the app installed (`pip install -e '.[package]'`). Writes
dist/a2v2-desktop/ (dist/A2V2 Desktop.app on macOS) and dist/a2v2-desktop-<version>-<os>-<arch>
.tar.gz/.zip, and prints how long it took and how big it is. The check runs the bundle:
`--version` must print the package version, `--smoke-test` must sync the demo and show every
panel offscreen with pyqtgraph on PySide6, no other Qt binding may be inside, and on Linux the
.desktop and AppStream files must pass desktop-file-validate and appstreamcli where installed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib.metadata import version as installed_version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
NAME = "a2v2-desktop"
APP_ID = "ai.a2v2.desktop"
OTHER_QT_BINDINGS = ("PyQt5", "PyQt6", "PySide2")


class BuildError(Exception):
    """The bundle was built but does not work."""


def bundle_dir() -> Path:
    return DIST / ("A2V2 Desktop.app" if sys.platform == "darwin" else NAME)


def executable() -> Path:
    if sys.platform == "darwin":
        return bundle_dir() / "Contents" / "MacOS" / NAME
    return bundle_dir() / (NAME + ".exe" if sys.platform == "win32" else NAME)


def run_pyinstaller() -> None:
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                    "--distpath", str(DIST), "--workpath", str(ROOT / "build" / "pyinstaller"),
                    str(ROOT / "packaging" / "a2v2-desktop.spec")], check=True, cwd=ROOT)


def run_bundle(*args: str) -> str:
    """Run the bundled program offscreen; its output, or BuildError with it if it failed."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYQTGRAPH_QT_LIB", None)  # the bundle must choose PySide6 by itself
    done = subprocess.run([str(executable()), *args], capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        raise BuildError(f"{executable().name} {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def check_bundle() -> None:
    """The bundle starts, knows its version, runs the demo, and carries PySide6 only."""
    expected = f"{NAME} {installed_version(NAME)}"
    found = run_bundle("--version").strip()
    if found != expected:
        raise BuildError(f"--version printed {found!r}, expected {expected!r}")
    print(run_bundle("--smoke-test").strip().splitlines()[-1])
    strays = [path for name in OTHER_QT_BINDINGS for path in bundle_dir().rglob(name)]
    if strays:
        raise BuildError(f"another Qt binding was bundled, pyqtgraph could pick it: {strays}")
    if sys.platform.startswith("linux"):
        validate_linux_files()


def validate_linux_files() -> None:
    """desktop-file-validate and appstreamcli on the files as shipped, where those tools are installed."""
    share = bundle_dir() / "share"
    for command in (["desktop-file-validate", str(share / "applications" / f"{APP_ID}.desktop")],
                    ["appstreamcli", "validate", "--no-net", str(share / "metainfo" / f"{APP_ID}.metainfo.xml")]):
        if shutil.which(command[0]) is None:
            print(f"note: {command[0]} is not installed, so {Path(command[-1]).name} was not validated")
            continue
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise BuildError(f"{command[0]} rejected {Path(command[-1]).name}:\n{done.stdout}{done.stderr}")


def archive() -> Path:
    """dist/a2v2-desktop-<version>-<os>-<arch>: a .tar.gz on Linux (keeps permissions), else a .zip."""
    system = {"darwin": "macos", "win32": "windows"}.get(sys.platform, "linux")
    base = DIST / f"{NAME}-{installed_version(NAME)}-{system}-{platform.machine().lower()}"
    if sys.platform == "darwin":  # ditto keeps the .app's symlinks and signatures
        target = base.with_name(base.name + ".zip")
        subprocess.run(["ditto", "-c", "-k", "--keepParent", str(bundle_dir()), str(target)], check=True)
        return target
    return Path(shutil.make_archive(str(base), "gztar" if system == "linux" else "zip", DIST, bundle_dir().name))


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description="Build, check and archive the A2V2 Desktop bundle.")
    parser.add_argument("--no-archive", action="store_true", help="build and check only (CI)")
    args = parser.parse_args()
    started = time.monotonic()
    run_pyinstaller()
    built = time.monotonic()
    try:
        check_bundle()
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"built {bundle_dir().relative_to(ROOT)} in {built - started:.0f} s ({size_mb(bundle_dir()):.0f} MB), "
          f"checked it in {time.monotonic() - built:.0f} s")
    if not args.no_archive:
        packed = archive()
        print(f"archive: {packed.relative_to(ROOT)} ({size_mb(packed):.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
