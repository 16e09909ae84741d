import sys

from a2v2_desktop.cli import main

sys.exit(main())
