"""`python -m local_serving --workspace W [--host H] [--port P] ...`."""

from __future__ import annotations

import sys

from local_serving.cli import main

if __name__ == "__main__":
    sys.exit(main())
