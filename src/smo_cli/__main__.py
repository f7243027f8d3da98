"""`python -m smo_cli` runs the same CLI as the `smo` console script."""

from smo_cli.cli.app import main

main()
