"""`python -m cli ...`: the `foerderweg` command without its installed script (used for child processes)."""

from cli.main import main

main()
