"""`python -m crypto`: the offline reviewer tool."""

import sys

from .cli import main

sys.exit(main())
