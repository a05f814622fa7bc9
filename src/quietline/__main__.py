"""``python -m quietline`` is the ``quietline`` command."""

from quietline.cli.main import run

run()
