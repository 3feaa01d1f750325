#!/usr/bin/env python3
"""PyTorch baseline for bench/score_bench.cc: the same model file and the
same request shapes (K targets x n history events), eager mode, one thread.

The model is written the way one would in PyTorch: batched over the K
targets, segments padded to w events with a mask, every linear map applied
per segment and target (the naive evaluation, ~3e7 FLOPs per target at the
default sizes).

  /usr/bin/python3 bench/torch_score.py MODEL.safetensors [--quick] [--check]

--check compares against tools/laser_ref.py on a few requests first.
"""

import argparse
import math
import os
import sys
import time

# One thread everywhere: OpenBLAS's own pool too, not only torch's.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import safetensors_io  # noqa: E402


class TorchLaser:
    def __init__(self, path):
        t, meta = safetensors_io.load(path)
        self.ids = t.pop("item_ids").astype(np.uint64)
        self.t = {k: torch.from_numpy(v.astype(np.float32)) for k, v in t.items()}
        g = lambda k, dflt: int(meta.get(k, dflt))
        self.L, self.w, self.H, self.d_q = g("L", 1000), g("w", 10), g("H", 2), g("d_q", 16)
        self.M, self.H_g, self.r = g("M", 2), g("H_g", 2), g("r", 5)
        self.d_i = self.t["item_emb"].shape[1]
        self.d = self.d_i + self.t["action_emb"].shape[1]
        self.A = self.t["action_emb"].shape[0]

    def rows(self, items):
        items = np.asarray(items, dtype=np.uint64)
        pos = np.searchsorted(self.ids[1:], items) + 1
        pos = np.minimum(pos, len(self.ids) - 1)
        found = (self.ids[pos] == items) & (items != 0)
        return torch.from_numpy(np.where(found, pos, 0).astype(np.int64))

    @staticmethod
    def ln(x, g, b):
        return torch.nn.functional.layer_norm(x, (x.shape[-1],), g, b, 1e-5)

    def score(self, items, actions, targets):
        t, d, H, dq, w = self.t, self.d, self.H, self.d_q, self.w
        items, actions = list(items)[-self.L :], list(actions)[-self.L :]
        n = len(items)
        e_t = t["item_emb"][self.rows(targets)]  # K x d_i
        K = e_t.shape[0]
        u0 = e_t @ t["gsta.target_proj"].T
        if n == 0:
            u = u0
            maxpool = torch.zeros(K, d)
            recent = torch.zeros(K, d)
        else:
            a = np.asarray(actions, dtype=np.int64)
            a = torch.from_numpy(np.where((a >= 0) & (a < self.A), a, 0))
            x = torch.cat([t["item_emb"][self.rows(items)], t["action_emb"][a]], dim=1)  # n x d
            S = -(-n // w)
            pad = S * w - n
            # Segments aligned at the newest event: pad at the oldest end,
            # then flip so segment 0 is the newest.
            xp = torch.cat([torch.zeros(pad, d), x], 0).view(S, w, d).flip(0)
            mask = torch.cat([torch.zeros(pad), torch.ones(n)]).view(S, w).flip(0)
            k = (xp @ t["sta.wk"].T).view(S, w, H, dq)
            v = (xp @ t["sta.wv"].T).view(S, w, H, d // H)
            q = (e_t @ t["sta.wq"].T).view(K, H, dq)
            logits = torch.einsum("khq,swhq->kswh", q, k) / math.sqrt(dq) + t["sta.gate_bias"]
            gates = torch.sigmoid(logits) * mask[None, :, :, None]
            c = torch.einsum("kswh,swhv->kshv", gates, v).reshape(K, S, d)
            c = c / mask.sum(1)[None, :, None]
            s = c @ t["sta.wo"].T + t["sta.recency"][:S]
            f = torch.relu(s @ t["sta.ffn.w1"].T + t["sta.ffn.b1"]) @ t["sta.ffn.w2"].T
            s = self.ln(s + f + t["sta.ffn.b2"], t["sta.ln.gamma"], t["sta.ln.beta"])  # K x S x d
            u = u0
            Hg, dh = self.H_g, d // self.H_g
            for m in range(1, self.M + 1):
                p = "gsta.%d." % m
                qg = (u @ t[p + "wq"].T).view(K, Hg, dh)
                kg = (s @ t[p + "wk"].T).view(K, S, Hg, dh)
                vg = (s @ t[p + "wv"].T).view(K, S, Hg, dh)
                att = torch.softmax(torch.einsum("khe,kshe->khs", qg, kg) / math.sqrt(dh), dim=-1)
                cg = torch.einsum("khs,kshe->khe", att, vg).reshape(K, d) @ t[p + "wo"].T
                u1 = self.ln(u + cg, t[p + "ln1.gamma"], t[p + "ln1.beta"])
                ff = torch.relu(u1 @ t[p + "ffn.w1"].T + t[p + "ffn.b1"]) @ t[p + "ffn.w2"].T
                u = self.ln(u1 + ff + t[p + "ffn.b2"], t[p + "ln2.gamma"], t[p + "ln2.beta"])
            maxpool = s.max(dim=1).values
            recent = s[:, : min(self.r, S)].mean(dim=1)
        z = torch.cat([u, maxpool, recent, u0], dim=1)
        hid = torch.relu(z @ t["head.w1"].T + t["head.b1"])
        logit = hid @ t["head.w2"].T + t["head.b2"]
        return torch.sigmoid(logit[:, 0]), logit[:, 0]

    def score_full(self, items, actions, targets):
        t, d, H, dq = self.t, self.d, self.H, self.d_q
        items, actions = list(items)[-self.L :], list(actions)[-self.L :]
        e_t = t["item_emb"][self.rows(targets)]
        K = e_t.shape[0]
        u0 = e_t @ t["gsta.target_proj"].T
        a = np.asarray(actions, dtype=np.int64)
        a = torch.from_numpy(np.where((a >= 0) & (a < self.A), a, 0))
        x = torch.cat([t["item_emb"][self.rows(items)], t["action_emb"][a]], dim=1)
        k = (x @ t["sta.wk"].T).view(-1, H, dq)
        v = (x @ t["sta.wv"].T).view(-1, H, d // H)
        q = (e_t @ t["sta.wq"].T).view(K, H, dq)
        att = torch.softmax(torch.einsum("khq,nhq->khn", q, k) / math.sqrt(dq), dim=-1)
        f = torch.einsum("khn,nhv->khv", att, v).reshape(K, d) @ t["sta.wo"].T
        z = torch.cat([f, torch.zeros(K, 2 * d), u0], dim=1)
        logit = torch.relu(z @ t["head.w1"].T + t["head.b1"]) @ t["head.w2"].T + t["head.b2"]
        return torch.sigmoid(logit[:, 0]), logit[:, 0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = torch.__config__.show()
    blas = [l.strip() for l in cfg.splitlines() if "BLAS" in l]
    print("torch", torch.__version__, "threads", torch.get_num_threads(), "|", "; ".join(blas)[:160])
    maps = open("/proc/self/maps").read()
    print("BLAS library mapped:", sorted({l.split()[-1] for l in maps.splitlines() if "blas" in l.lower()}))
    m = TorchLaser(args.model)
    rng = np.random.default_rng(42)
    if args.check:
        import laser_ref

        ref = laser_ref.Model(args.model)
        for n in (0, 1, 9, 10, 11, 37):
            items = [int(x) for x in rng.choice(m.ids, n)]
            actions = [int(x) for x in rng.integers(-1, 6, n)]
            targets = [int(x) for x in rng.choice(m.ids, 5)]
            got = m.score(items, actions, targets)[0].numpy()
            want = np.array([s for s, _, _ in laser_ref.score(ref, items, actions, targets)])
            gotf = m.score_full(items, actions, targets)[0].numpy() if n else None
            print("check n=%d max |dscore| sta %.2e" % (n, np.abs(got - want).max()), end="")
            if n:
                wantf = np.array([s for s, _, _ in laser_ref.score(ref, items, actions, targets, "full")])
                print(" full %.2e" % np.abs(gotf - wantf).max(), end="")
            print()
    print("%-5s %5s %6s %9s %9s %9s" % ("meth", "K", "n", "p50 ms", "p99 ms", "cpu50 ms"))
    with torch.no_grad():
        for method in ("sta", "full"):
            fn = m.score if method == "sta" else m.score_full
            for n in (1000, 10000):
                for K in (1, 64, 512):
                    items = [int(x) for x in rng.choice(m.ids, n)]
                    actions = [int(x) for x in rng.integers(0, 4, n)]
                    targets = [int(x) for x in rng.choice(m.ids, K)]
                    fn(items, actions, targets)
                    lat, cpu = [], []
                    budget = 0.5 if args.quick else 3.0
                    start = time.perf_counter()
                    while (time.perf_counter() - start < budget or len(lat) < 3) and len(lat) < 500:
                        t0, c0 = time.perf_counter(), time.thread_time()
                        fn(items, actions, targets)
                        lat.append(time.perf_counter() - t0)
                        cpu.append(time.thread_time() - c0)
                    lat.sort()
                    cpu.sort()
                    p = lambda v, q: v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]
                    print("%-5s %5d %6d %9.3f %9.3f %9.3f" % (method, K, n, p(lat, 0.5) * 1e3,
                                                            p(lat, 0.99) * 1e3, p(cpu, 0.5) * 1e3),
                          flush=True)


if __name__ == "__main__":
    main()
