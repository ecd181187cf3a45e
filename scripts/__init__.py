"""Developer scripts: the one-machine stack, the demo."""
