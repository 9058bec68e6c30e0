"""``python -m metarmc``: the command line of :mod:`metarmc.cli`."""

import sys

from .cli import main

sys.exit(main())
