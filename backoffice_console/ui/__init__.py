"""The console's Qt widgets: login, queue, call view, history, and the autopilot."""
