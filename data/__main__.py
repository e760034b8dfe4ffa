"""``python -m data init|template|import|boundaries|upgrade``: hands over to the command-line module (cli.py)."""
import sys

from cli import data_main as main

if __name__ == "__main__":
    sys.exit(main())
