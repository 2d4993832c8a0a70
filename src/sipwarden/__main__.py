"""`python -m sipwarden` is the `sipwarden` command."""

import sys

from sipwarden.cli import main

sys.exit(main())
