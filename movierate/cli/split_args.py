"""The split options of ``train`` and ``tune``: parsed once, and refused where they would be
ignored (an official split has its own test rows)."""

from __future__ import annotations

import argparse
from typing import Any

from movierate.cli.output import ArgumentError, whole_number
from movierate.data.splits import DEFAULT_STOP_FRACTION, DEFAULT_TEST_FRACTION, OFFICIAL_PREFIX
from movierate.schema import SPEC_SCHEMA

DEFAULT_SPLIT_SEED = 42
#: The split seed takes the training seed's range (bad-input round 32: 2**64 was recorded).
SEEDS = SPEC_SCHEMA["seed"].constraint


def add_split_arguments(parser: argparse.ArgumentParser, title: str, stop_help: str) -> None:
    """``--split``, ``--test-fraction``, ``--stop-fraction`` and ``--split-seed``."""
    split = parser.add_argument_group(title)
    split.add_argument(
        "--split",
        default="random",
        help="random, per_user, temporal (each user's latest ratings; other users' later "
        "ratings train), time (one cut date: the latest ratings of all users) or official:NAME "
        "(ml-100k: official:u1 ... ub) [random]",
    )
    split.add_argument(  # None: not given (an official split has its own test rows)
        "--test-fraction",
        type=float,
        help=f"share of all ratings held out as test rows [{DEFAULT_TEST_FRACTION}]",
    )
    split.add_argument(
        "--stop-fraction",
        type=float,
        default=DEFAULT_STOP_FRACTION,
        help=f"{stop_help} [{DEFAULT_STOP_FRACTION}]",
    )
    split.add_argument(  # the flag's name before splits had test rows
        "--valid-fraction", dest="test_fraction", type=float, help=argparse.SUPPRESS
    )
    split.add_argument(
        "--split-seed",
        type=whole_number(SEEDS.describe()),
        help=f"seed of the split's random draws (temporal, time: only among ratings of one "
        f"timestamp); {SEEDS.describe()} [{DEFAULT_SPLIT_SEED}]",
    )


def split_options(args: argparse.Namespace) -> dict[str, Any]:
    """The split settings of parsed ``args``; ArgumentError for an option the method ignores."""
    method = str(args.split)
    if method.startswith(OFFICIAL_PREFIX) and args.test_fraction is not None:
        raise ArgumentError(
            f"--split {method} takes its test rows from the official .test file, so "
            "--test-fraction does not apply; drop it (--stop-fraction and --split-seed still "
            "choose the early-stopping rows)."
        )
    return {
        "method": method,
        "test_fraction": DEFAULT_TEST_FRACTION
        if args.test_fraction is None
        else args.test_fraction,
        "stop_fraction": args.stop_fraction,
        "seed": DEFAULT_SPLIT_SEED if args.split_seed is None else args.split_seed,
    }
