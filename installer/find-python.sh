#!/usr/bin/env bash
# Prints the path of the Python interpreter to build the virtual environment with.
#
# Prefers 3.12 and newer: PySide6-Essentials 6.12 crashes on 3.11 under qasync
# (see docs/reference/WEBRTC.md), so 3.11 is only a fallback, and
# pyproject.toml pins PySide6 below 6.12 there. pyenv's shims answer for
# versions that are not active, so every candidate is asked to run.
set -u
works() { "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; }
version_of() { "$1" -c 'import sys; print("%d.%02d" % sys.version_info[:2])' 2>/dev/null; }

candidates=()
for v in 3.12 3.13 3.14; do
  candidates+=("python$v" "/usr/bin/python$v" "/usr/local/bin/python$v")
done
for root in "${PYENV_ROOT:-}" "$HOME/.pyenv" /root/.pyenv; do
  [ -n "$root" ] || continue
  for d in "$root"/versions/3.1[2-9]*; do
    [ -x "$d/bin/python3" ] && candidates+=("$d/bin/python3")
  done
done
for c in "${candidates[@]}"; do
  path=$(command -v "$c" 2>/dev/null) || continue
  if works "$path" && [ "$(version_of "$path")" \> "3.11" ]; then
    echo "$path"; exit 0
  fi
done
for c in python3.11 python3; do
  path=$(command -v "$c" 2>/dev/null) || continue
  if works "$path"; then echo "$path"; exit 0; fi
done
echo "no Python 3.11+ interpreter found" >&2
exit 1
