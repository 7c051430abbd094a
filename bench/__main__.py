"""``python -m bench``: the benchmark, as ``bench/run.py`` runs it."""

import sys

from bench.cli import main

sys.exit(main(prog="python -m bench"))
