#!/bin/sh
# Install this A2V2 Desktop bundle for the current user (no root needed):
#   the program in ~/.local/opt/a2v2-desktop, `a2v2-desktop` in ~/.local/bin, and the menu
#   entry, icons and AppStream data in ~/.local/share. PREFIX=/usr/local (as root) for everyone.
#   ~/.local/opt/a2v2-desktop/install.sh --uninstall removes all of it (not the cache, settings or logs).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
case "$here" in
  */opt/a2v2-desktop) prefix=${PREFIX:-$(dirname "$(dirname "$here")")} ;;  # the installed copy
  *) prefix=${PREFIX:-$HOME/.local} ;;
esac
target="$prefix/opt/a2v2-desktop"
app_id=ai.a2v2.desktop

remove() {
  rm -rf "$target"
  rm -f "$prefix/bin/a2v2-desktop" "$prefix/share/applications/$app_id.desktop" \
        "$prefix/share/metainfo/$app_id.metainfo.xml" "$prefix"/share/icons/hicolor/*/apps/$app_id.*
}

refresh_caches() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$prefix/share/applications" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
  remove
  refresh_caches
  echo "A2V2 Desktop removed from $prefix"
  exit 0
fi
if [ "$here" = "$target" ]; then
  echo "error: run install.sh from the unpacked bundle, not from $target" >&2
  exit 1
fi
remove
mkdir -p "$prefix/opt" "$prefix/bin" "$prefix/share"
cp -a "$here" "$target"
rm -rf "$target/share"
cp -a "$here/share/." "$prefix/share/"
sed -i "s|^Exec=a2v2-desktop|Exec=$target/a2v2-desktop|" "$prefix/share/applications/$app_id.desktop"
ln -sf "$target/a2v2-desktop" "$prefix/bin/a2v2-desktop"
refresh_caches
echo "A2V2 Desktop $("$target/a2v2-desktop" --version | cut -d' ' -f2) installed in $target"
