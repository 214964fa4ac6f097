"""Advice on regularizer settings: the strength each one starts at, and warnings about a spec.

No TensorFlow here, so the dashboard's Train page can import it. The default strengths are the
ones ``benchmarks/bench_regularizers.py`` measured to reach each regularizer's effect (see
``movierate.explore.verdicts.TARGETS``) on ml-latest-small and ml-100k with every other option
at its ModelSpec default.

>>> spec_warnings(ModelSpec(regularizers={"l2": 0.1, "whitening": 0.1}))  # doctest: +SKIP
['L2 and whitening pull in opposite directions: ...']
"""

from __future__ import annotations

from typing import Any

#: Strength a regularizer starts at when switched on (the Train page's value for it).
DEFAULT_STRENGTHS: dict[str, float] = {
    "l2": 0.1,
    "whitening": 0.1,
    "decorrelation": 10.0,
    "adversarial": 1.0,
}

#: Measured in docs/regularizer-study.md (mf_bias, dim 32, 20 epochs, no early stopping).
L2_WHITENING_WARNING = (
    "L2 and whitening pull in opposite directions: L2 shrinks every movie vector towards 0, "
    "whitening needs unit variance in every dimension. In the regularizer study (dim 32) "
    "l2 0.1 + whitening 0.1 left the whitening penalty at 2.25 on ml-latest-small and 1.52 on "
    "ml-100k, against 0.06 and 0.05 with whitening alone: the embedding is not whitened. "
    "Drop L2 for a whitened embedding, or apply exact whitening to an L2 model instead."
)


def spec_warnings(spec: Any) -> list[str]:
    """Warnings about a spec's regularizer combination, each backed by a measurement."""
    regs = {k: float(v) for k, v in (getattr(spec, "regularizers", None) or {}).items() if v}
    warnings = []
    if regs.get("whitening") and regs.get("l2"):
        warnings.append(L2_WHITENING_WARNING)
    return warnings
