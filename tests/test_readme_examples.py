"""The README's command-line examples run as written and train nothing the CLI warns about
(README truth review s31: `delete-dataset books ml-25m` failed, and the whitening example drew
the warning against whitening without L2)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from movierate import advice
from movierate.cli import build_parser, spec_from_args

README = Path(__file__).resolve().parents[1] / "README.md"


def _command_lines() -> list[list[str]]:
    """Each ``python -m movierate ...`` command of the README's "Command line" block, as words
    after ``movierate`` (comments dropped; ``a ; b`` gives two commands)."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## Command line", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.splitlines():
        for part in line.split("#", 1)[0].split(";"):
            words = shlex.split(part)
            if words[:3] == ["python", "-m", "movierate"]:
                commands.append(words[3:])
    return commands


def test_the_block_is_found():
    commands = [words[0] for words in _command_lines()]
    assert "train" in commands and "delete-dataset" in commands


@pytest.mark.parametrize("words", [w for w in _command_lines() if w[0] == "train"], ids=" ".join)
def test_no_train_example_draws_a_spec_warning(words):
    args = build_parser().parse_args(words)
    assert advice.spec_warnings(spec_from_args(args), names="flag") == []


def test_delete_dataset_names_only_datasets_the_block_stored_before():
    stored: set[str] = set()
    for words in _command_lines():
        if words[0] == "datasets" and "--name" in words:
            stored.add(words[words.index("--name") + 1])
        elif words[0] == "download":
            stored.add(words[1])
        elif words[0] == "delete-dataset":
            names = [w for w in words[1:] if not w.startswith("-")]
            assert set(names) <= stored, f"{names} not all stored by the lines above"
            stored -= set(names)


def test_the_layout_table_names_every_command():
    """README review s31: the layout's CLI row left delete-dataset out."""
    from movierate.cli import COMMANDS

    row = next(
        line
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `movierate/cli/` |")
    )
    assert [name for name in COMMANDS if f"`{name}`" not in row] == []
