"""Accuracy round 37: does every number reproduce? Everything rerun matched (same seed: byte-
identical weights across thread counts, CLI against Train page, caches against recomputing);
`tune` with only a wall-clock budget fits as many trials as the machine's load allows."""

from __future__ import annotations

from movierate import cli


def test_tune_help_says_a_budget_alone_is_not_repeatable(capsys):
    """Its pick can change with the machine's load; --trials makes the search repeatable."""
    assert cli.main(["tune", "--help"]) == 0
    words = " ".join(capsys.readouterr().out.split())
    assert "depends on the machine's speed and load" in words
    assert "--trials too for a repeatable search" in words
