"""``bench/run.py``: the benchmark behind ``make bench`` (``python -m bench`` runs the same)."""

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a script, this folder heads the import path, where the package's modules would be
    # found under bare names; the package is imported from the folder above it instead.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
    from bench.cli import main

    sys.exit(main())
