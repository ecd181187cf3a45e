"""The kiosk's Qt windows: the face screen, the touch screen, and the autopilot that drives them."""
