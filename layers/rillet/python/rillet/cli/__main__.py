"""``python -m rillet.cli``: the same as the ``rillet`` command."""

from rillet.cli.main import app

app(prog_name="rillet")
