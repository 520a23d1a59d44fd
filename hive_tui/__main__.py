import sys

from hive_tui.cli import main

sys.exit(main())
