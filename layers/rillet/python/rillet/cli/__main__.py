"""``python -m rillet.cli``: the same as the ``rillet`` command."""

from rillet.cli import main

main()
