"""The ``quietline`` command."""
