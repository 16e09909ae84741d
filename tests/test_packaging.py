"""What the installers ship: icons in every size, valid desktop files, one identity, icons in the wheel.

The PyInstaller bundle itself is built and run by packaging/ci-bundle.sh (too slow for every test run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ElementTree
import zipfile
from configparser import ConfigParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "ai.a2v2.desktop"
DESKTOP_FILE = ROOT / "resources" / "linux" / f"{APP_ID}.desktop"
METAINFO = ROOT / "resources" / "linux" / f"{APP_ID}.metainfo.xml"


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def icons(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("icons")
    subprocess.run([sys.executable, str(ROOT / "packaging" / "make_icons.py"), str(output)], check=True,
                   env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return output


def image_sizes(path: Path) -> list[int]:
    """Every image in an .ico/.icns/.png as Qt reads it back, by width (all are square)."""
    from PySide6.QtGui import QImageReader

    reader = QImageReader(str(path))
    sizes = []
    for index in range(max(reader.imageCount(), 1)):
        reader.jumpToImage(index)
        image = reader.read()
        assert image.width() == image.height(), path
        sizes.append(image.width())
    return sizes


def test_linux_icons_in_the_hicolor_sizes(icons):
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        assert image_sizes(icons / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png") == [size]
    assert (icons / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


def test_windows_ico_holds_each_size_up_to_256(icons):
    assert image_sizes(icons / "a2v2-desktop.ico") == [16, 24, 32, 48, 64, 128, 256]


def test_macos_icns_holds_retina_sizes_up_to_1024(icons):
    assert sorted(set(image_sizes(icons / "a2v2-desktop.icns"))) == [16, 32, 64, 128, 256, 512, 1024]


@pytest.mark.parametrize("command", [["desktop-file-validate", str(DESKTOP_FILE)],
                                     ["appstreamcli", "validate", "--no-net", str(METAINFO)]])
def test_linux_desktop_files_validate(command):
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (apt-get install desktop-file-utils appstream)")
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_identity_everywhere():
    """The .desktop file, AppStream and the icon name must agree, or menus lose the icon (Qt's side: tests/ui)."""
    entry = ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(DESKTOP_FILE, encoding="utf-8")
    component = ElementTree.parse(METAINFO).getroot()
    assert entry["Desktop Entry"]["Icon"] == component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP_FILE.name
    assert entry["Desktop Entry"]["Exec"].split()[0] == next(iter(project()["scripts"]))
    assert component.find("releases/release").get("version") == project()["version"]
    assert component.findtext("project_license") == project()["license"] == "MIT"


def test_license_is_mit_for_the_developers():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "A2V2 Desktop developers" in text


@pytest.mark.slow
def test_a_built_wheel_carries_the_icons_and_finds_them(tmp_path):
    """Build from a clean copy (pip builds in the source tree otherwise), then import from the unpacked wheel."""
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("a2v2_desktop", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "wheel"), str(source)],
                   check=True)
    wheel = next((tmp_path / "wheel").glob("a2v2_desktop-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "installed")
    svgs = {f"a2v2_desktop/resources/icons/{path.name}" for path in (ROOT / "resources" / "icons").glob("*.svg")}
    assert svgs and svgs <= names
    check = ("from a2v2_desktop.ui import icons; from PySide6.QtGui import QGuiApplication; app = QGuiApplication([]); "
             "print(icons.resources_dir()); assert not icons.app_icon().isNull(); assert not icons.icon('usage', 'red').isNull()")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "installed"), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == tmp_path / "installed" / "a2v2_desktop" / "resources"
