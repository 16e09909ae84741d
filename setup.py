"""The one thing pyproject.toml cannot say: ship the root resources/ folder inside the package.

Setuptools' package finder only lists folders that exist under a2v2_desktop/, so the
mapped package a2v2_desktop.resources (-> resources/) has to be added here; without it
an installed wheel has no icons. Everything else is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=find_namespace_packages(include=["a2v2_desktop*"], exclude=["*.__pycache__"]) + ["a2v2_desktop.resources"],
    package_dir={"a2v2_desktop.resources": "resources"},
)
