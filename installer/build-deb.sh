#!/usr/bin/env bash
# Builds the Debian packages (vw-common, vw-hub, vw-kiosk, vw-console) into var/deb/.
#
#   installer/build-deb.sh                     version from pyproject.toml
#   DEB_VERSION=0.1.0~rc1 installer/build-deb.sh   another version (the system test's "old" build)
#   DEB_OUT=DIR installer/build-deb.sh         another output folder
#
# The build runs in a copy of the tree (var/deb-build/): dpkg-buildpackage writes beside its
# source, and the copy holds what git tracks plus untracked files not ignored, nothing else.
# It uses Debian's /usr/bin/python3.11 and may fetch wheels from PyPI; the packages it makes
# install offline.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

"$repo/installer/system-packages.sh" build

upstream=$(/usr/bin/python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
version=${DEB_VERSION:-$upstream}
out=${DEB_OUT:-$repo/var/deb}
case "$out" in /*) ;; *) out="$repo/$out" ;; esac

work="$repo/var/deb-build/$version"
src="$work/remote-virtual-window-$version"
rm -rf "$work"
mkdir -p "$src" "$out"
git ls-files -z --cached --others --exclude-standard \
  | tar --null -T - --ignore-failed-read -cf - \
  | tar -xf - -C "$src"

# The version is the build's, not the tree's: the changelog is written here.
cat > "$src/debian/changelog" <<CHANGELOG
remote-virtual-window ($version) bookworm; urgency=medium

  * Build of remote-virtual-window $upstream as Debian version $version.

 -- Remote Virtual Window team <vw-team@centre.example>  $(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")
CHANGELOG

cd "$src"
# pyenv or a project venv on PATH must not leak into the build: Debian's tools only.
env -u VIRTUAL_ENV -u PYTHONPATH PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  dpkg-buildpackage -b -us -uc --no-pre-clean
cd "$work"
rm -f "$out"/vw-common_*.deb "$out"/vw-hub_*.deb "$out"/vw-kiosk_*.deb "$out"/vw-console_*.deb
mv ./*.deb "$out/"
rm -rf "$work"
ls -l "$out"
