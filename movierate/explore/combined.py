"""What a combined model's embedding columns are: a seed ensemble's seeds or a blend's members,
side by side in one vector (``tuning.concat_ensemble``, ``tuning.combine_dot_products``), with
each block's share of the prediction and of the vector length (numpy only).

Distances, neighbours, maps and principal directions read the whole vector, so they follow the
block holding most of its length, whatever its share of the prediction (accuracy round 17).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from movierate.explore.validation import takes_models

#: A block holding at least this share of the vectors' squared length decides their geometry.
MOSTLY = 0.8


@dataclass(frozen=True)
class ColumnBlock:
    """One member's (or seed's) columns ``start`` to ``stop - 1`` of a combined model."""

    label: str
    start: int
    stop: int
    #: Its share of the prediction (a blend member's weight; a seed's 1/K).
    weight: float
    #: Its share of the movies' squared vector length, summed over all movies.
    length_share: float


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _layout(meta: dict[str, Any], dim: int) -> tuple[str, list[tuple[str, int, int, float]]]:
    """("blend" | "ensemble" | "", [(label, start, stop, weight), ...]) from ``meta``."""
    tuning = meta.get("tuning") if isinstance(meta.get("tuning"), dict) else {}
    blend = tuning.get("blend")
    if isinstance(blend, dict) and isinstance(blend.get("members"), list):
        out = []
        for member in blend["members"]:
            member = member if isinstance(member, dict) else {}
            columns = member.get("columns")
            weight = member.get("weight")
            if not (isinstance(columns, list) and len(columns) == 2):
                return "", []
            start, stop = _int(columns[0]), _int(columns[1])
            if start is None or stop is None or not 0 <= start < stop <= dim:
                return "", []
            refit = member.get("refit") if isinstance(member.get("refit"), dict) else {}
            seeds = _int(refit.get("ensemble")) or 1
            label = str(member.get("family", "?")) + (
                f" ({seeds} seeds of {(stop - start) // seeds} dims)" if seeds > 1 else ""
            )
            out.append(
                (
                    label,
                    start,
                    stop,
                    float(weight)
                    if isinstance(weight, int | float) and not isinstance(weight, bool)
                    else 0.0,
                )
            )
        return "blend", out
    refit = tuning.get("refit") if isinstance(tuning.get("refit"), dict) else {}
    seeds = _int(refit.get("ensemble")) or 1
    if seeds < 2 or dim % seeds:
        return "", []
    named = refit.get("seeds") if isinstance(refit.get("seeds"), list) else []
    size = dim // seeds
    return "ensemble", [
        (f"seed {named[i] if i < len(named) else i + 1}", i * size, (i + 1) * size, 1 / seeds)
        for i in range(seeds)
    ]


@takes_models("model")
def column_blocks(model: Any) -> tuple[str, list[ColumnBlock]]:
    """("blend" | "ensemble", its column blocks) for a combined model (a first-k view: its
    source's), or ("", []) for a single model or an unreadable record."""
    model = getattr(model, "source", model)
    vectors = np.asarray(model.movie_embedding, dtype=np.float64)
    kind, layout = _layout(model.meta or {}, vectors.shape[1])
    if not layout:
        return "", []
    squared = vectors**2
    total = float(squared.sum()) or 1.0
    return kind, [
        ColumnBlock(label, start, stop, weight, float(squared[:, start:stop].sum()) / total)
        for label, start, stop, weight in layout
    ]


def _percent(share: float) -> str:
    """A share in words, one decimal under 10% (0.2%), never "100%" for most but not all."""
    if 0 < share < 0.1:
        return f"{share:.1%}"
    return "over 99%" if 0.99 < share < 1 else f"{share:.0%}"


@takes_models("model")
def combined_columns_text(model: Any) -> str:
    """What a combined model's vectors are and which block their geometry follows, for the
    embedding pages' captions (plain text: pages escape it, as names in it are the user's);
    "" for a single model."""
    source = getattr(model, "source", model)
    kind, blocks = column_blocks(source)
    if not blocks:
        return ""
    dim = blocks[-1].stop
    spans = "; ".join(
        f"{b.start}-{b.stop - 1} {b.label}: {_percent(b.weight)} of the prediction weight, "
        f"{_percent(b.length_share)} of the squared vector length"
        for b in blocks
    )
    top = max(blocks, key=lambda b: b.length_share)
    first = blocks[0]
    if kind == "blend":
        follows = (
            f"neighbours, distances, maps and principal directions here are mostly {top.label}'s"
            if top.length_share >= MOSTLY
            else "neighbours, distances, maps and principal directions here mix the members"
        )
        whose = f"{first.label}'s"
        return (
            f"{source.name} is a blend: its {dim} dims are its members' movie vectors side "
            f"by side, each scaled by sqrt(its weight) ({spans}); {follows}. The first k dims "
            f"as trained (for k up to {first.stop}) are {whose}, scaled by "
            f"sqrt({first.weight:.2f}) on the user and the movie side: "
            + _first_block_caveat(
                f"{first.weight:.2f} times", whose, "the members' weighted biases"
            )
        )
    seeds = len(blocks)
    return (
        f"{source.name} is a seed ensemble: its {dim} dims are {seeds} separately trained "
        f"seeds' vectors side by side, each scaled by 1/sqrt({seeds}) ({spans}). The first k "
        f"dims as trained are one seed's first ones (for k up to {first.stop}), scaled by "
        f"1/sqrt({seeds}) on the user and the movie side: "
        + _first_block_caveat(f"1/{seeds} of", "that seed's", "the seeds' averaged biases")
        + " The order of dimensions across the seeds mixes unrelated seeds' bases; the "
        "principal directions read all seeds together."
    )


def _first_block_caveat(share: str, whose: str, biases: str) -> str:
    """Why the RMSE of the first k dims (within the first block) is not its seed's or member's
    own (accuracy round 22: an ensemble's curve at k = 96 read 0.8750, that seed's own 0.848)."""
    return (
        f"they predict with {share} {whose} dot product (plus {biases}), so the "
        f"RMSE of the first k dims is not {whose} own accuracy."
    )
