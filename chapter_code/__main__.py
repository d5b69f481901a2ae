"""``python -m chapter_code``: the same as the ``chapter-code`` command."""

import sys

from chapter_code.cli import main

sys.exit(main())
