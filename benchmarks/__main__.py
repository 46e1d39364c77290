"""python -m benchmarks: see benchmarks/run.py and benchmarks/RESULTS.md."""

import sys

from .run import main

sys.exit(main())
