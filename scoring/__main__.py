"""``python -m scoring rank|catalogue``: hands over to the command-line module (cli.py)."""
import sys

from cli import scoring_main as main

if __name__ == "__main__":
    sys.exit(main())
