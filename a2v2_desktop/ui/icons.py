"""Icons drawn as SVG in resources/icons, tinted to the theme's text colour at load time."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer


@lru_cache(maxsize=1)
def resources_dir() -> Path:
    """`a2v2_desktop/resources` in a wheel or a bundle (setup.py maps it there), else the source tree's."""
    packaged = Path(str(files("a2v2_desktop") / "resources"))
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "resources"


def icon_path(name: str) -> Path:
    return resources_dir() / "icons" / f"{name}.svg"


@lru_cache(maxsize=64)
def icon(name: str, color: str, size: int = 20) -> QIcon:
    """A monochrome icon in `color` (the SVGs stroke with currentColor)."""
    svg = icon_path(name).read_text(encoding="utf-8").replace("currentColor", color)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    result = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(size * scale, size * scale)
        pixmap.fill(Qt.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter, QRectF(0, 0, size * scale, size * scale))
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        result.addPixmap(pixmap)
    return result


def app_icon() -> QIcon:
    return QIcon(str(icon_path("a2v2-desktop")))
