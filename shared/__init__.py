"""Code shared by the hub, the kiosk and the console (no process imports another's)."""
