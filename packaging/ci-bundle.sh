#!/usr/bin/env bash
# CI, after the tests: build the Linux bundle with PyInstaller and run it headless (`--version`,
# then `--smoke-test`: the demo synced and every panel shown offscreen), then install it into a
# temporary prefix with install.sh, run the installed copy, and uninstall it.
# Costs about 2 minutes on a 2-core machine and ~275 MB in dist/ (see packaging/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# objdump (binutils) for PyInstaller; the validators for the .desktop and AppStream files.
debian_packages=(binutils desktop-file-utils appstream)
if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for package in "${debian_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

.venv/bin/pip install -q -e '.[package]'
.venv/bin/python packaging/build.py --no-archive

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
PREFIX="$prefix" dist/a2v2-desktop/install.sh
"$prefix/bin/a2v2-desktop" --version
desktop-file-validate "$prefix/share/applications/ai.a2v2.desktop.desktop"
"$prefix/opt/a2v2-desktop/install.sh" --uninstall
leftovers=$(find "$prefix" ! -type d ! -name '*.cache')  # the desktop's own index files may stay
[ -z "$leftovers" ] || { echo "error: uninstall left $leftovers" >&2; exit 1; }
