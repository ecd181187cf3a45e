"""The acceptance centre's side: the officer's console (`vw-console`) and, in `hub`, the server."""
