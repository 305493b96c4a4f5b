"""`python -m flexrepro.pipeline [options]` is `python -m flexrepro reproduce [options]`."""
import sys

from ..cli import main

raise SystemExit(main(["reproduce", *sys.argv[1:]]))
