"""`python -m archive.cli`: the archive command."""

from . import main

main()
