"""A user's regular expression run over titles with a time limit.

Python's backtracking matcher takes exponential time on some patterns and a text they almost
match: ``(a|aa)*b``, ``(.|a)*b``, ``(a+)+b``. No static check catches every such shape, and
a search on the dashboard's script thread cannot be interrupted, so the search runs in a
small child process that is killed when it runs past the limit.

>>> rows_matching("^toy", ["Toy Story (1995)", "Heat (1995)"], seconds=5.0).tolist()
[0]
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

import numpy as np

from movierate.errors import DataError

#: How long one search over a catalogue may take. A plain pattern over ml-32m's ~87,000
#: titles takes well under a tenth of a second.
SECONDS = 3.0

#: The child: ``re`` only, reading the pattern and the texts as JSON from stdin, writing the
#: rows where any of a row's texts holds a match.
_CHILD = """
import json, re, sys
job = json.load(sys.stdin)
found = re.compile(job["pattern"], re.IGNORECASE)
json.dump([i for i, texts in enumerate(job["rows"]) if any(map(found.search, texts))], sys.stdout)
"""


def rows_matching(
    pattern: str, rows: Sequence[str | Sequence[str]], seconds: float | None = None
) -> np.ndarray:
    """Indices (sorted) of ``rows`` where ``pattern`` (a valid Python regular expression,
    ignoring case) finds a match; a row is one text or several (a title as written and
    without accents). Raises DataError when the search runs past ``seconds`` (default
    :data:`SECONDS`)."""
    seconds = SECONDS if seconds is None else seconds
    job = {"pattern": pattern, "rows": [[r] if isinstance(r, str) else list(r) for r in rows]}
    if not sys.executable:  # an embedded interpreter: no child to run it in, and no limit
        raise DataError(
            "Regular expressions cannot run here: this Python has no interpreter to start "
            "(sys.executable is empty). Search without the regular expression switch."
        )
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _CHILD],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DataError(
            f"{pattern!r} ran for more than {seconds:g} s over {len(rows):,} titles and was "
            "stopped. A pattern whose repeated part can match the same text in more than one "
            "way, like (a|aa)* or (.|a)*, tries every way on a title it almost matches; "
            "simplify it (for example a* or .*)."
        ) from None
    except OSError as exc:  # the interpreter could not be started
        raise DataError(
            f"Searching titles for {pattern!r} could not start {sys.executable}: "
            f"{exc.strerror or exc}. Search without the regular expression switch."
        ) from None
    if done.returncode != 0:
        raise DataError(f"Searching titles for {pattern!r} failed: {done.stderr.strip()[-300:]}")
    return np.asarray(json.loads(done.stdout), dtype=np.int64)
