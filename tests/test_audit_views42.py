"""Views round 42 (a researcher quoting the tool in a paper), findings 1, 2 and 5.

F1: Dimensions said "the other dimensions add error" of a -0.0009 difference within the rows'
draw (95% [-0.0022, +0.0006]), with k picked as the lowest of 16 on the same rows; the sign
flipped on the test rows. F2: the whitening verdict's headline said "Not whitened" over movies
its detail called whitened. F5: Compare's regularizer-loss caption described one of three
curves drawn.
"""

from __future__ import annotations

from movierate.ui import charts, text

# --- F5: the regularizer-loss caption describes every curve drawn ----------------------------


def test_every_penalty_curve_drawn_is_described():
    """F5: the histories hold no "epoch" column; each run was numbered by the first penalty's
    length (reg_decorrelation), so the l2 and whitening runs had no epochs and went unsaid."""
    histories = {
        "r42-l2": {"train_rmse": [1.0, 0.9, 0.8], "reg_l2": [0.05, 0.4, 1.13]},
        "r42-whiten": {"train_rmse": [1.0, 0.9, 0.8], "reg_whitening": [14.8, 1.02, 0.0111]},
        "r42-decor": {"train_rmse": [1.0, 0.9, 0.8], "reg_decorrelation": [1e-5, 0.0145, 0.007]},
    }
    keys = sorted({k for h in histories.values() for k in text.regularizer_keys(h)})
    said = text.penalty_curves_text(histories, keys, charts.PENALTY_LABELS)
    assert said == (
        "r42-l2: L2 0.05 at epoch 1 to 1.13 at epoch 3, rising; r42-whiten: whitening 14.8 at "
        "epoch 1 to 0.0111 at epoch 3, falling; r42-decor: decorrelation 1e-05 at epoch 1 to "
        "0.007 at epoch 3, highest at epoch 2, lowest at epoch 1."
    )
