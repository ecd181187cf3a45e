#!/usr/bin/env bash
# Builds a local apt repository from the .deb files, for rolling a version out to kiosks.
#
#   installer/make-apt-repo.sh [DEBS_DIR] [REPO_DIR]
#       DEBS_DIR  where the .deb files are (default: var/deb)
#       REPO_DIR  the repository to (re)write (default: var/apt-repo)
#
# Serve REPO_DIR over HTTP (any static web server) or copy it to each machine; then, on
# each kiosk, console or hub, one line in /etc/apt/sources.list.d/vw.list:
#
#   deb [trusted=yes] http://HOST/PATH ./        (served over HTTP)
#   deb [trusted=yes] file:/srv/vw-apt ./        (a copy on the machine or a USB stick)
#
# and `apt-get update && apt-get install -y vw-kiosk` (or vw-hub, vw-console) takes the newest
# version. With VW_APT_SIGN_KEY=<gpg key id> the Release file is signed (InRelease and
# Release.gpg); machines that hold the public key in /etc/apt/keyrings/vw.gpg then use
#   deb [signed-by=/etc/apt/keyrings/vw.gpg] http://HOST/PATH ./
# instead of [trusted=yes]. REPO_DIR then holds exactly the .deb files of DEBS_DIR.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/.." && pwd)
debs=${1:-$repo_root/var/deb}
out=${2:-$repo_root/var/apt-repo}

command -v apt-ftparchive >/dev/null || {
  echo "make-apt-repo: apt-ftparchive is missing (apt-get install apt-utils)" >&2
  exit 2
}
shopt -s nullglob
files=("$debs"/*.deb)
if [ "${#files[@]}" -eq 0 ]; then
  echo "make-apt-repo: no .deb files in $debs (run make deb first)" >&2
  exit 2
fi

mkdir -p "$out"
rm -f "$out"/*.deb "$out"/Packages "$out"/Packages.gz "$out"/Release "$out"/InRelease "$out"/Release.gpg
cp -- "${files[@]}" "$out/"
cd "$out"
apt-ftparchive packages . > Packages
gzip -9 -k -f Packages
apt-ftparchive \
  -o APT::FTPArchive::Release::Origin="Remote Virtual Window" \
  -o APT::FTPArchive::Release::Label="vw" \
  -o APT::FTPArchive::Release::Suite="stable" \
  release . > Release
if [ -n "${VW_APT_SIGN_KEY:-}" ]; then
  gpg --batch --yes --local-user "$VW_APT_SIGN_KEY" --clearsign -o InRelease Release
  gpg --batch --yes --local-user "$VW_APT_SIGN_KEY" -abs -o Release.gpg Release
fi
echo "apt repository in $out:"
grep -h '^Package:\|^Version:' Packages | paste - - | sed 's/Package: //; s/\tVersion: / /'
echo "sources.list line: deb [trusted=yes] file:$out ./"
