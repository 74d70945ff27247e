"""Developer and build tools run with ``python -m app.tools.<name>``."""
