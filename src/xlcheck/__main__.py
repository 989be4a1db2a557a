"""`python -m xlcheck` runs the command line."""

from xlcheck.cli import main

main()
