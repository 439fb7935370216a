"""``python -m rag.cli``: the ``newsrag`` command."""

from rag.cli import main

main()
