"""Recheck 16c of bad-input round 69's fix (names claimed through the run notes in ``runs/``):
a hand-damaged note stopped every name check (F1: ``[1, 2]`` raised an AttributeError, a FIFO
blocked), ``rename`` took a name a training in progress holds (F2), and a killed command-line
run's note stayed for good (F3)."""

from __future__ import annotations

import os
import threading

import pytest
from test_audit_bad_input_round69 import hold, other_process  # noqa: F401 (a fixture)

from movierate import config, store
from movierate.errors import NameTakenError
from movierate.run_ledger import RunLedger


def _runs():
    folder = config.home_dir() / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("text", ["[1, 2]", '"hello"', "{}", '{"name": 3, "pid": "x"}', "{"])
def test_a_note_that_names_no_run_holds_no_name(text):
    (_runs() / "edited.json").write_text(text, encoding="utf-8")
    ledger = RunLedger()
    assert ledger.holders("free") == [] and ledger.held_names() == set()
    assert ledger.readers("mine") == []
    assert not ledger.claimed_here("free")
    store.check_name_free("free")  # no error: the name is free
    assert ledger.claim_lost() == []  # and the damaged note is swept


def test_a_fifo_named_like_a_note_blocks_no_name_check():
    fifo = _runs() / "pipe.json"
    os.mkfifo(fifo)
    found: list = []
    checker = threading.Thread(
        target=lambda: found.append((RunLedger().holders("free"), RunLedger().claim_lost())),
        daemon=True,
    )
    checker.start()
    checker.join(timeout=20)
    assert not checker.is_alive(), "reading the runs folder blocked on a FIFO"
    assert found == [([], [])]
    assert fifo.exists()  # not ours to remove


def test_rename_refuses_a_name_a_training_in_progress_holds(other_process, tmp_path):  # noqa: F811
    (config.models_dir() / "old").mkdir(parents=True)
    hold("held", other_process, command="train")
    with pytest.raises(NameTakenError, match="A training in progress will save a model named"):
        store.rename_model("old", "held")


def test_a_killed_command_line_runs_note_is_swept_when_names_are_checked():
    note = hold("gone", 2**22 + 12345, command="train")  # no such process
    assert RunLedger().holders("gone") == []
    assert not note.exists()
