#!/usr/bin/env python3
"""Reference implementation of the LASER scoring model (DESIGN.md section 5,
docs/model.md), written straight from the formulas in float64 numpy.

It is deliberately naive: every target, every segment, every head is computed
on its own, so that it shares no structure with the optimised C++ kernels.

Usage as a program:
  laser_ref.py MODEL.safetensors --items 5,7,9 --actions 0,1,0 --targets 5,11 [--method sta|full]
prints one line per target: target score logit.
"""

import argparse
import math
import sys
import os

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


class Model:
    def __init__(self, path):
        t, meta = safetensors_io.load(path)
        self.t = {k: (v.astype(np.float64) if v.dtype == np.float32 else v) for k, v in t.items()}
        self.L = int(meta.get("L", "1000"))
        self.w = int(meta.get("w", "10"))
        self.H = int(meta.get("H", "2"))
        self.d_q = int(meta.get("d_q", "16"))
        self.M = int(meta.get("M", "2"))
        self.H_g = int(meta.get("H_g", "2"))
        self.r = int(meta.get("r", "5"))
        self.item_ids = [int(x) for x in self.t["item_ids"]]
        self.row_of = {iid: row for row, iid in enumerate(self.item_ids) if row > 0}
        self.d_i = self.t["item_emb"].shape[1]
        self.d_a = self.t["action_emb"].shape[1]
        self.d = self.d_i + self.d_a

    def e(self, item):
        return self.t["item_emb"][self.row_of.get(int(item), 0)]

    def a(self, action):
        A = self.t["action_emb"].shape[0]
        action = int(action)
        return self.t["action_emb"][action if 0 <= action < A else 0]


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean()
    var = ((x - mu) ** 2).mean()
    return (x - mu) / math.sqrt(var + eps) * gamma + beta


def ffn(x, w1, b1, w2, b2):
    return w2 @ np.maximum(w1 @ x + b1, 0.0) + b2


def history(m, items, actions):
    """The newest L events, oldest first, as x_i = [e(item); a(action)]."""
    items = list(items)[-m.L :] if m.L > 0 else []
    actions = list(actions)[-m.L :] if m.L > 0 else []
    return [np.concatenate([m.e(it), m.a(ac)]) for it, ac in zip(items, actions)]


def segments(n, w):
    """Lists of event indices (oldest-first numbering), segment 1 = newest w."""
    segs = []
    end = n
    while end > 0:
        begin = max(0, end - w)
        segs.append(list(range(begin, end)))
        end = begin
    return segs


def head(m, z):
    t = m.t
    hidden = np.maximum(t["head.w1"] @ z + t["head.b1"], 0.0)
    logit = float((t["head.w2"] @ hidden)[0] + t["head.b2"][0])
    return logit


def score_sta(m, items, actions, target):
    t = m.t
    d, H, d_q, d_v = m.d, m.H, m.d_q, m.d // m.H
    xs = history(m, items, actions)
    e_t = m.e(target)
    q = t["sta.wq"] @ e_t
    seg_tokens = []
    for j, seg in enumerate(segments(len(xs), m.w), start=1):
        c = np.zeros(d)
        for h in range(H):
            qh = q[h * d_q : (h + 1) * d_q]
            acc = np.zeros(d_v)
            for i in seg:
                k = (t["sta.wk"] @ xs[i])[h * d_q : (h + 1) * d_q]
                v = (t["sta.wv"] @ xs[i])[h * d_v : (h + 1) * d_v]
                g = sigmoid(float(qh @ k) / math.sqrt(d_q) + t["sta.gate_bias"][h])
                acc += g * v
            c[h * d_v : (h + 1) * d_v] = acc / len(seg)
        s_tilde = t["sta.wo"] @ c + t["sta.recency"][j - 1]
        s = layer_norm(
            s_tilde
            + ffn(s_tilde, t["sta.ffn.w1"], t["sta.ffn.b1"], t["sta.ffn.w2"], t["sta.ffn.b2"]),
            t["sta.ln.gamma"],
            t["sta.ln.beta"],
        )
        seg_tokens.append(s)
    u0 = t["gsta.target_proj"] @ e_t
    u = u0
    S = len(seg_tokens)
    dh = d // m.H_g
    # An empty history has no segment tokens: u_M = u_0 (DESIGN.md section 5).
    for layer in range(1, m.M + 1 if S > 0 else 1):
        p = "gsta.%d." % layer
        qg = t[p + "wq"] @ u
        ks = [t[p + "wk"] @ s for s in seg_tokens]
        vs = [t[p + "wv"] @ s for s in seg_tokens]
        cat = np.zeros(d)
        for h in range(m.H_g):
            sl = slice(h * dh, (h + 1) * dh)
            logits = np.array([float(qg[sl] @ k[sl]) / math.sqrt(dh) for k in ks])
            alpha = np.exp(logits - logits.max())
            alpha /= alpha.sum()
            cat[sl] = sum(a * v[sl] for a, v in zip(alpha, vs))
        c = t[p + "wo"] @ cat
        u1 = layer_norm(u + c, t[p + "ln1.gamma"], t[p + "ln1.beta"])
        u = layer_norm(
            u1 + ffn(u1, t[p + "ffn.w1"], t[p + "ffn.b1"], t[p + "ffn.w2"], t[p + "ffn.b2"]),
            t[p + "ln2.gamma"],
            t[p + "ln2.beta"],
        )
    if S > 0:
        maxpool = np.max(np.stack(seg_tokens), axis=0)
        recent = np.mean(np.stack(seg_tokens[: min(m.r, S)]), axis=0)
    else:
        maxpool = np.zeros(d)
        recent = np.zeros(d)
    z = np.concatenate([u, maxpool, recent, u0])
    logit = head(m, z)
    return sigmoid(logit), logit, u


def score_full(m, items, actions, target):
    """Full softmax target attention over all n events (docs/model.md):
    f = Wo [sum_i alpha_{i,h} v_{i,h}]_h, z = [f; 0; 0; u_0]."""
    t = m.t
    d, H, d_q, d_v = m.d, m.H, m.d_q, m.d // m.H
    xs = history(m, items, actions)
    e_t = m.e(target)
    q = t["sta.wq"] @ e_t
    u0 = t["gsta.target_proj"] @ e_t
    f = np.zeros(d)
    if xs:
        cat = np.zeros(d)
        for h in range(H):
            qh = q[h * d_q : (h + 1) * d_q]
            logits = np.array(
                [float(qh @ (t["sta.wk"] @ x)[h * d_q : (h + 1) * d_q]) / math.sqrt(d_q) for x in xs]
            )
            alpha = np.exp(logits - logits.max())
            alpha /= alpha.sum()
            for a_i, x in zip(alpha, xs):
                cat[h * d_v : (h + 1) * d_v] += a_i * (t["sta.wv"] @ x)[h * d_v : (h + 1) * d_v]
        f = t["sta.wo"] @ cat
    z = np.concatenate([f, np.zeros(d), np.zeros(d), u0])
    logit = head(m, z)
    return sigmoid(logit), logit, f


def score(m, items, actions, targets, method="sta"):
    fn = score_sta if method == "sta" else score_full
    return [fn(m, items, actions, tg) for tg in targets]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--items", default="")
    ap.add_argument("--actions", default="")
    ap.add_argument("--targets", required=True)
    ap.add_argument("--method", choices=["sta", "full"], default="sta")
    args = ap.parse_args()
    parse = lambda s: [int(x) for x in s.split(",") if x]
    m = Model(args.model)
    targets = parse(args.targets)
    for tg, (s, lg, _) in zip(targets, score(m, parse(args.items), parse(args.actions), targets, args.method)):
        print("%d %.9g %.9g" % (tg, s, lg))


if __name__ == "__main__":
    main()
