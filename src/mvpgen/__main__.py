"""`python -m mvpgen` runs the CLI."""

from mvpgen.cli import main

main()
