"""`python -m console` runs the same entry point as the `vigil` script."""

from __future__ import annotations

import sys

from console.cli import main

sys.exit(main())
