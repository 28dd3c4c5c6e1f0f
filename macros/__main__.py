from __future__ import annotations

import os
import sys

if sys.argv[1:2] == ["check-warm"]:
    os.nice(10)  # it runs beside a doc build (warm.py), which should have the CPU first

from .cli import main  # after lowering the priority: the imports are most of the check's work

sys.exit(main())
