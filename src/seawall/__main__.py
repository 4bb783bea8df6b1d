"""``python -m seawall``."""

import sys

from seawall.cli.main import main

sys.exit(main())
