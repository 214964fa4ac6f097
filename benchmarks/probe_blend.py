"""Probe: is a blend of autorec and mf_bias worth it? Their family defaults (no search) on one
bench_tuned protocol: stop-row RMSE of each member and of the blend at the stop-row weight, then
both refit on train + stop and scored on test (the test-row curve over w is printed as a check of
the stop-row choice only: nothing is chosen on it). Appends a line to the file named second.

    nice -n 19 python -m benchmarks.probe_blend temporal-small /work/home-blend/probe.jsonl
"""

import json
import sys
import time

import numpy as np

from benchmarks.bench_tuned import PROTOCOLS, STOP_FRACTION, carve, parse_key, rmse
from movierate.data import Split, load_dataset
from movierate.defaults import default_spec_for
from movierate.nn.training import train, training_scale
from movierate.tuning import refit_winner

W = np.round(np.linspace(0, 1, 21), 2)


def z_of(arrays, rows, users, movies):
    u, m = users[rows], movies[rows]
    z = np.einsum("ij,ij->i", arrays["user_embedding"][u], arrays["movie_embedding"][m]).astype(
        np.float64
    )
    if "user_bias" in arrays:
        z += arrays["user_bias"][u]
    if "movie_bias" in arrays:
        z += arrays["movie_bias"][m]
    return z + float(arrays["global_mean"])


key = sys.argv[1]
base, seed = parse_key(key)
ds = load_dataset(PROTOCOLS[base][1])
tr, st, te = carve(ds, base, seed)
split = Split("bench", seed, 0.1, STOP_FRACTION, tr, st, te)
users = ds.ratings["user_idx"].to_numpy()
movies = ds.ratings["movie_idx"].to_numpy()
truth = ds.ratings["rating"].to_numpy(float)
scale = training_scale(ds, split)  # the train + stop rows' scale: no test rating sets it
lo, hi = float(scale.min), float(scale.max)
out = {"key": key}
res = {}
for fam in ("autorec", "mf_bias"):
    # untuned: the tuned defaults were chosen on rows that are test rows of these protocols
    spec = default_spec_for(None, fam)
    t = time.time()
    r = train(ds, split, spec)
    res[fam] = (spec, r)
    print(
        fam,
        "stop",
        r.metrics["stop_rmse"],
        "epoch",
        r.metrics["best_epoch"],
        f"{time.time() - t:.0f}s",
        flush=True,
    )


def blend_curve(za, zm, rows):
    return {float(w): rmse(np.clip(w * za + (1 - w) * zm, lo, hi), truth[rows]) for w in W}


za = z_of(res["autorec"][1].arrays, st, users, movies)
zm = z_of(res["mf_bias"][1].arrays, st, users, movies)
stop_curve = blend_curve(za, zm, st)
w_best = min(stop_curve, key=stop_curve.get)
out["stop_curve"] = stop_curve
out["w"] = w_best
print(
    "stop: AR",
    stop_curve[1.0],
    "MF",
    stop_curve[0.0],
    "blend",
    stop_curve[w_best],
    "w",
    w_best,
    flush=True,
)
refits = {}
for fam in ("autorec", "mf_bias"):
    spec, r = res[fam]
    t = time.time()
    refits[fam] = refit_winner(ds, split, spec, int(r.metrics["best_epoch"]))
    print("refit", fam, f"{time.time() - t:.0f}s", flush=True)
za = z_of(refits["autorec"][0].arrays, te, users, movies)
zm = z_of(refits["mf_bias"][0].arrays, te, users, movies)
test_curve = blend_curve(za, zm, te)
out["test_curve"] = test_curve
print(
    "test (refit): AR",
    test_curve[1.0],
    "MF",
    test_curve[0.0],
    "blend@w",
    test_curve[w_best],
    "oracle",
    min(test_curve.values()),
    flush=True,
)
# mf_bias 5-seed ensemble as partner (w from the single stop-row winners)
spec, r = res["mf_bias"]
t = time.time()
ens = refit_winner(ds, split, spec, int(r.metrics["best_epoch"]), ensemble=5)
ze = z_of(ens[0].arrays, te, users, movies)
ens_curve = blend_curve(za, ze, te)
out["test_curve_ens5"] = ens_curve
print(
    "ens5 refit",
    f"{time.time() - t:.0f}s",
    "MF5",
    ens_curve[0.0],
    "blend@w",
    ens_curve[w_best],
    "oracle",
    min(ens_curve.values()),
    flush=True,
)
with open(sys.argv[2] if len(sys.argv) > 2 else "probe_blend.jsonl", "a") as f:
    f.write(json.dumps(out) + "\n")
