"""Run the command line: ``python -m tinygrad_relu``."""

import sys

from .cli import main

sys.exit(main())
