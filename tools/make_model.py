#!/usr/bin/env python3
"""Writes LASER model files (docs/model.md) and the golden test outputs.

  make_model.py random OUT.safetensors [--seed S] [--d-i 96 --d-a 32 ...]
      random weights (scaled by 1/sqrt(fan_in)) at any size; defaults follow
      DESIGN.md section 5 (L=1000, w=10, H=2, d_q=16, d=128, M=2, H_g=2, r=5).
  make_model.py demo OUT.safetensors [--items 10000 --categories 16]
      structured weights that make scores meaningful on generated data: item
      id k (1..items) belongs to category k % categories (categories <= d_q); a target scores
      higher the more of the user's recent events share its category, and
      'buy' (1) > 'cart' (2) > 'fav' (3) > 'pv' (0) weigh more.
  make_model.py goldens DIR
      the small test models and their golden outputs (tests/model/golden).
"""

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import laser_ref  # noqa: E402
import safetensors_io  # noqa: E402


def random_model(rng, d_i, d_a, H, d_q, L, w, M, H_g, r, F, F_g, head_hidden, n_items, n_actions,
                 item_ids=None):
    d = d_i + d_a
    Lp = -(-L // w)
    f32 = np.float32

    def mat(rows, cols, scale=1.0):
        return (rng.standard_normal((rows, cols)) * scale / math.sqrt(cols)).astype(f32)

    def vec(n, scale=0.1, mean=0.0):
        return (mean + rng.standard_normal(n) * scale).astype(f32)

    if item_ids is None:
        ids = np.sort(rng.choice(np.arange(1, 20 * n_items, dtype=np.uint64), n_items - 1, replace=False))
        item_ids = np.concatenate([np.zeros(1, np.uint64), ids.astype(np.uint64)])
    t = {
        "item_ids": np.asarray(item_ids, dtype=np.uint64),
        "item_emb": rng.standard_normal((n_items, d_i)).astype(f32),
        "action_emb": rng.standard_normal((n_actions, d_a)).astype(f32),
        "sta.wq": mat(H * d_q, d_i, 1.5),
        "sta.wk": mat(H * d_q, d, 1.5),
        "sta.wv": mat(d, d),
        "sta.gate_bias": vec(H, 0.5),
        "sta.wo": mat(d, d),
        "sta.recency": rng.standard_normal((Lp, d)).astype(f32),
        "sta.ffn.w1": mat(F, d),
        "sta.ffn.b1": vec(F),
        "sta.ffn.w2": mat(d, F),
        "sta.ffn.b2": vec(d),
        "sta.ln.gamma": vec(d, 0.1, 1.0),
        "sta.ln.beta": vec(d),
        "gsta.target_proj": mat(d, d_i),
        "head.w1": mat(head_hidden, 4 * d),
        "head.b1": vec(head_hidden),
        "head.w2": mat(1, head_hidden, 0.5),
        "head.b2": vec(1),
    }
    for m in range(1, M + 1):
        p = "gsta.%d." % m
        for name in ("wq", "wk", "wv", "wo"):
            t[p + name] = mat(d, d)
        t[p + "ffn.w1"] = mat(F_g, d)
        t[p + "ffn.b1"] = vec(F_g)
        t[p + "ffn.w2"] = mat(d, F_g)
        t[p + "ffn.b2"] = vec(d)
        for ln in ("ln1", "ln2"):
            t[p + ln + ".gamma"] = vec(d, 0.1, 1.0)
            t[p + ln + ".beta"] = vec(d)
    meta = {"L": L, "w": w, "H": H, "d_q": d_q, "M": M, "H_g": H_g, "r": r,
            "item_column": "item_id", "action_column": "action"}
    return t, meta


def demo_model(rng, n_items, n_categories, d_i=96, d_a=32, H=2, d_q=16, L=1000, w=10, M=2, H_g=2,
               r=5, F=256, F_g=256, head_hidden=64):
    """Structured weights (see the module docstring and docs/model.md)."""
    t, meta = random_model(rng, d_i, d_a, H, d_q, L, w, M, H_g, r, F, F_g, head_hidden, n_items + 1,
                           4, item_ids=np.arange(n_items + 1, dtype=np.uint64))
    d = d_i + d_a
    f32 = np.float32
    # Orthonormal category directions (needs categories <= d_i).
    basis, _ = np.linalg.qr(rng.standard_normal((d_i, d_i)))
    cat_dirs = basis[:, :n_categories].T  # categories x d_i
    ids = np.arange(n_items + 1)
    emb = 3.0 * cat_dirs[ids % n_categories] + 0.05 * rng.standard_normal((n_items + 1, d_i))
    emb[0] = 0.0  # the unknown item matches nothing
    t["item_emb"] = emb.astype(f32)
    # Coordinate 0 of the action part (x[d_i]) carries the action's weight.
    act = 0.05 * rng.standard_normal((4, d_a))
    act[:, 0] = [1.0, 3.0, 2.0, 1.5]  # pv, buy, cart, fav
    t["action_emb"] = act.astype(f32)
    const = d_i
    # Gates: every head maps category directions to orthonormal vectors
    # (needs categories <= d_q), so per head q.k/sqrt(d_q) is about +12 for
    # items of the target's category and about 0 otherwise; the bias -6
    # silences the others.
    assert n_categories <= d_q, "the demo model needs categories <= d_q"
    s2 = 12.0 * math.sqrt(d_q) / 9.0
    heads = []
    for _ in range(H):
        r, _ = np.linalg.qr(rng.standard_normal((d_q, d_q)))
        heads.append(math.sqrt(s2) * r[:, :n_categories] @ cat_dirs)
    proj = np.concatenate(heads)
    t["sta.wq"] = proj.astype(f32)
    wk = np.zeros((H * d_q, d))
    wk[:, :d_i] = proj
    t["sta.wk"] = wk.astype(f32)
    t["sta.gate_bias"] = np.full(H, -6.0, f32)
    t["sta.wv"] = np.eye(d, dtype=f32)
    t["sta.wo"] = np.eye(d, dtype=f32)
    # A large zero-mean recency pattern keeps the LayerNorm nearly affine, so
    # the gated action weight survives it in coordinate `const`.
    pattern = np.where(np.arange(d) % 2 == 0, 3.0, -3.0)
    pattern[const] = 0.0
    pattern -= pattern.mean()
    Lp = t["sta.recency"].shape[0]
    decay = 1.0 + 0.001 * np.arange(Lp)[:, None]
    t["sta.recency"] = (pattern[None, :] * decay).astype(f32)
    for name in ("sta.ffn.w1", "sta.ffn.b1", "sta.ffn.w2", "sta.ffn.b2"):
        t[name] = np.zeros_like(t[name])
    t["sta.ln.gamma"] = np.ones(d, f32)
    t["sta.ln.beta"] = np.zeros(d, f32)
    # GSTA stays a small perturbation; the head reads the pooled segment tokens.
    for m in range(1, M + 1):
        p = "gsta.%d." % m
        t[p + "wo"] = (0.1 * t[p + "wo"]).astype(f32)
        t[p + "ffn.w2"] = (0.1 * t[p + "ffn.w2"]).astype(f32)
    w1 = np.zeros((head_hidden, 4 * d))
    w1[0, d + const] = 1.0  # max over segments of the gated action weight
    w1[1, 2 * d + const] = 3.0  # mean over the r newest segments
    w1[2:, :] = 0.01 * rng.standard_normal((head_hidden - 2, 4 * d))
    t["head.w1"] = w1.astype(f32)
    t["head.b1"] = np.zeros(head_hidden, f32)
    w2 = np.zeros((1, head_hidden))
    w2[0, 0] = 6.0
    w2[0, 1] = 6.0
    t["head.w2"] = w2.astype(f32)
    t["head.b2"] = np.array([-2.0], f32)
    meta["categories"] = n_categories
    meta["category_of_item"] = "item_id % categories"
    return t, meta


# The golden test models: small, but with the default structure (H=2, w=10,
# M=2) and a second one with other shapes.
GOLDEN_MODELS = {
    "small": dict(d_i=24, d_a=8, H=2, d_q=8, L=50, w=10, M=2, H_g=2, r=3, F=64, F_g=48,
                  head_hidden=32, n_items=40, n_actions=4),
    "odd": dict(d_i=20, d_a=12, H=4, d_q=4, L=30, w=7, M=1, H_g=4, r=2, F=40, F_g=16,
                head_hidden=8, n_items=25, n_actions=6),
}


def golden_cases(rng, t, meta):
    """Histories of length 0, 1, w-1, w, w+1, L, > L; unknown items, every
    action value, out-of-range actions; targets include unknown ids."""
    L, w = int(meta["L"]), int(meta["w"])
    ids = [int(x) for x in t["item_ids"][1:]]
    A = t["action_emb"].shape[0]
    unknown = [max(ids) + 1 + i for i in range(5)] + [0, 2**64 - 1]
    cases = []
    lengths = [0, 1, w - 1, w, w + 1, 2 * w + 3, L, L + 1, L + 2 * w + 7]
    for n in lengths:
        items = [int(rng.choice(ids)) if rng.random() > 0.1 else int(rng.choice(unknown))
                 for _ in range(n)]
        actions = [int(rng.integers(0, A)) for _ in range(n)]
        # Every action value, and out-of-range ones, in the newest events.
        for k, a in enumerate(list(range(A)) + [-1, A, 1 << 40, -(1 << 62)]):
            if k < n:
                actions[n - 1 - k] = a
        targets = [int(rng.choice(ids)) for _ in range(5)] + [unknown[0], 0, items[-1] if n else ids[0]]
        cases.append((items, actions, targets))
    return cases


def write_goldens(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(20260211)
    models = {name: random_model(rng, **cfg) for name, cfg in GOLDEN_MODELS.items()}
    models["demo"] = demo_model(rng, n_items=60, n_categories=6, d_i=24, d_a=8, L=40, w=10,
                                d_q=8, F=32, F_g=32, head_hidden=8, r=3)
    for name, (t, meta) in models.items():
        mpath = os.path.join(out_dir, name + ".safetensors")
        safetensors_io.save(mpath, t, meta)
        m = laser_ref.Model(mpath)
        cases = golden_cases(rng, t, meta)
        g = {}
        gmeta = {"cases": 0}
        k = 0
        for method in ("sta", "full"):
            for items, actions, targets in cases:
                res = laser_ref.score(m, items, actions, targets, method)
                p = "case%d." % k
                g[p + "items"] = np.array([x % 2**64 for x in items], dtype=np.uint64) if items else np.zeros(0, np.uint64)
                g[p + "actions"] = np.array(actions, np.int64)
                g[p + "targets"] = np.array(targets, dtype=np.uint64)
                g[p + "score"] = np.array([x[0] for x in res], np.float64)
                g[p + "logit"] = np.array([x[1] for x in res], np.float64)
                g[p + "u"] = np.stack([x[2] for x in res]).astype(np.float64)
                gmeta[p + "method"] = method
                k += 1
        gmeta["cases"] = k
        safetensors_io.save(os.path.join(out_dir, name + ".golden.safetensors"), g, gmeta)
        print("wrote", mpath, "with", k, "golden cases")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("kind", choices=["random", "demo", "goldens"])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--d-i", type=int, default=96)
    ap.add_argument("--d-a", type=int, default=32)
    ap.add_argument("--H", type=int, default=2)
    ap.add_argument("--d-q", type=int, default=16)
    ap.add_argument("--L", type=int, default=1000)
    ap.add_argument("--w", type=int, default=10)
    ap.add_argument("--M", type=int, default=2)
    ap.add_argument("--H-g", type=int, default=2)
    ap.add_argument("--r", type=int, default=5)
    ap.add_argument("--ffn", type=int, default=256, help="STA and GSTA FFN width")
    ap.add_argument("--head-hidden", type=int, default=64)
    ap.add_argument("--items", type=int, default=10000, help="number of known items")
    ap.add_argument("--actions", type=int, default=4)
    ap.add_argument("--categories", type=int, default=16)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    if a.kind == "goldens":
        write_goldens(a.out)
        return
    if a.kind == "random":
        t, meta = random_model(rng, a.d_i, a.d_a, a.H, a.d_q, a.L, a.w, a.M, a.H_g, a.r, a.ffn,
                               a.ffn, a.head_hidden, a.items + 1, a.actions)
    else:
        t, meta = demo_model(rng, a.items, a.categories, a.d_i, a.d_a, a.H, a.d_q, a.L, a.w, a.M,
                             a.H_g, a.r, a.ffn, a.ffn, a.head_hidden)
    safetensors_io.save(a.out, t, meta)


if __name__ == "__main__":
    main()
