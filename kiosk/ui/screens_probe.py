"""`python -m kiosk.ui.screens_probe`: print the names of Qt's screens as a JSON list.

The health checks (Qt-free) run this in a child process to see which screens the
display server offers, without loading Qt themselves.
"""

from __future__ import annotations

import json
import sys

from PySide6.QtGui import QGuiApplication


def main() -> int:
    """List the screens and exit."""
    app = QGuiApplication(sys.argv[:1])
    print(json.dumps([screen.name() for screen in app.screens()], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
