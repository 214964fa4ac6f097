"""``python -m movierate``: the command line (see movierate.cli)."""

from movierate.cli import main

raise SystemExit(main())
