"""The hub's plumbing, below every domain: configuration, HTTP and websocket endpoints,
the caller's identity, the audit log, live connections and the typed event bus.

Nothing here knows any domain; domains build on it.
"""
