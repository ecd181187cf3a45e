"""`python -m kiosk.health`: the same as `vw-health`."""

import sys

from kiosk.health.cli import main

sys.exit(main())
