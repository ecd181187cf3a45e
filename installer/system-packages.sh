#!/usr/bin/env bash
# Installs the Debian packages the project needs that this machine lacks.
#
#   installer/system-packages.sh runtime   what the hub, kiosk and console need
#   installer/system-packages.sh test      runtime plus what the test suite needs
#   installer/system-packages.sh build     what builds and checks the .deb files (make deb)
#
# Does nothing (and needs no network) when everything is already installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
set_name=${1:-runtime}

lists=("$here/packages-runtime.txt")
[ "$set_name" = "build" ] && lists=("$here/packages-build.txt")
mapfile -t wanted < <(grep -hv '^\s*#' "${lists[@]}" | awk 'NF')
if [ "$set_name" = "test" ]; then
  mapfile -t -O "${#wanted[@]}" wanted < <(grep -v '^\s*#' "$here/packages-test.txt" | awk 'NF')
fi

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
