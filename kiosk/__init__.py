"""The kiosk: the dual-screen app at a service point (`vw-kiosk`)."""
