"""``python -m silverplatform`` — use the silverctl wrapper, which picks the release."""

import sys

from silverplatform.cli import main

sys.exit(main())
