"""Pointing the PyAV wheel's own ALSA library at the system's ALSA set-up.

The PyAV wheel brings its own libasound, built to look for its configuration and its
plugins under build paths (/tmp/vendor/share/alsa, /tmp/vendor/lib/alsa-lib) that exist
on no machine. Without the system's alsa.conf it knows no `default` device; without the
system's plugin folder it cannot load the plugin behind `default` on a PipeWire machine
(pipewire-alsa's libasound_module_pcm_pipewire.so), so the kiosk would bypass PipeWire
and with it the echo canceller. Checked with PyAV 18.1 on Debian 12 (PipeWire 0.3.65):
without ALSA_PLUGIN_DIR, opening `default` fails with "Cannot open shared library
libasound_module_pcm_pipewire.so (/tmp/vendor/lib/alsa-lib/...)".
"""

from __future__ import annotations

import glob
import os

ALSA_CONF = "/usr/share/alsa/alsa.conf"
PLUGIN_DIRS = ("/usr/lib/*-linux-gnu*/alsa-lib", "/usr/lib64/alsa-lib", "/usr/lib/alsa-lib")


def use_system_alsa() -> None:
    """Set ALSA_CONFIG_PATH and ALSA_PLUGIN_DIR to the system's, unless already set."""
    if os.path.exists(ALSA_CONF):
        os.environ.setdefault("ALSA_CONFIG_PATH", ALSA_CONF)
    for pattern in PLUGIN_DIRS:
        found = sorted(glob.glob(pattern))
        if found:
            os.environ.setdefault("ALSA_PLUGIN_DIR", found[0])
            return
