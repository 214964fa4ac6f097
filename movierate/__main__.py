"""``python -m movierate``: the command line (see movierate.cli)."""

try:
    from movierate.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line loads: as after (no traceback)
    import sys

    print("\nerror: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main(final=True))  # SIGINT / SIGTERM ignored from the result to the exit
