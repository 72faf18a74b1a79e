"""`python -m kibana_conformance ...` is the `kibana-conformance` command."""

import sys

from .cli import main

sys.exit(main())
