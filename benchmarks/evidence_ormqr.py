"""Evidence for the op_db ``ormqr`` sample 0 "mismatch confirmed" (benchmarks/results/opinfo.md).

What it shows, at the exact float64 point of the recorded counterexample (the 16th point
check_gradient draws for that sample: a 4x4 case with tau = -2.2e6, -1.19e6, 1.0e6, -1.4e6; its
bits are embedded below, with the cotangent drawn with it, so nothing depends on Hypothesis,
timing or the checker's batching). Verdict: torch's backward is wrong there, our reference is
right; torch's error is an unstable algorithm (amplified rounding), not a wrong formula.

1. the forward ``torch.ormqr(A, tau, C, left=True, transpose=True)`` (= H_k ... H_1 C, with
   H_i = I - tau_i v_i v_i^T, LAPACK's unit-diagonal v_i) agrees with a 50-digit mpmath
   evaluation to about one ulp: the forward is fine;
2. the exact gradient of <u, ormqr(A, tau, C)> (mpmath, 50 digits; the scalar is a polynomial
   of degree <= 2 in every single entry, so a central difference along one axis is exact)
   against torch's backward, entry by entry: torch's d/dA (columns 0 and 1) and d/dtau_0,
   d/dtau_1 are wrong (d/dA[2,0]: -1.2e33 for a true -2.1e26), d/dC is right;
3. why: the true gradient moves by ~1e-15 relative when the inputs move by 4 ulps (the problem
   is well conditioned) and autograd through an explicit float64 loop of the reflectors gets it
   to 1e-15; torch's householder_product_backward (which ormqr_backward calls) peels each
   reflector off ``result @ grad^H`` with H(sigma_i) = H_i^-1, sigma_i = tau_i/(tau_i|v_i|^2 - 1),
   dividing by 1 - tau_i |v_i|^2 (1e6..2e7 here): its error scales with the dtype's eps
   (float32/float64 ratio ~ eps ratio) and vanishes as tau shrinks toward geqrf's range;
4. along random directions (the checker's own kind): the true directional derivative, torch's,
   workbench's Richardson estimate with its bound (right to ~1e-13, within its bound), and what
   workbench's Confirmation decides: at this x it skips 197 of 200 (cotangent, direction) pairs
   as "ill-conditioned" and confirms 3, which is why reruns of the benchmark need not confirm.

Run (about 5 s, one thread; needs mpmath, which ships with sympy):

    cd /work/main && PYTHONPATH=. .venv/bin/python benchmarks/evidence_ormqr.py
"""

from __future__ import annotations

import math
import sys
import zlib
from pathlib import Path

import mpmath
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

torch.set_num_threads(1)
mpmath.mp.dps = 50

HEX = {
    "x0": ['-0x1.d3fa84c0f4668p+1', '-0x1.0000000000000p+0', '-0x1.c54817b4a8208p-1', '0x0.0p+0',
           '-0x1.84301caeb55c6p+1', '-0x1.0000000000000p+0', '0x1.0000000000000p-1',
           '-0x1.0000000000000p-1', '-0x1.e48323b7ab100p-4', '-0x1.14811bca48dd4p+1',
           '0x1.e2baa0a7fc642p+1', '-0x1.ce53e0bacf6c0p-1', '-0x1.0000000000000p-1',
           '-0x1.de0c74ba48fd8p+1', '0x1.3893e710d41d0p-2', '0x1.66ed5eb082eb0p+0'],
    "x1": ['-0x1.0dc27160597fbp+21', '-0x1.22f6b2284b2a1p+20', '0x1.e959e843ec7ebp+19',
           '-0x1.56d023ad399f3p+20'],
    "x2": ['-0x1.ce6947a81f77ep+1', '-0x1.0e411309578d4p+1', '-0x1.6468e843e4840p+1',
           '-0x1.cc9283d5b0540p-3', '-0x1.84f369d94c028p-1', '0x1.22de4ff1ae988p+1',
           '0x1.09f740f3ad466p+1', '0x1.889c7301bc5a0p-1', '-0x1.8616903147de0p-3',
           '-0x1.d0035eb4b574ep+1', '-0x1.082733d200f44p+1', '-0x1.6441f6a50d048p+1',
           '-0x1.e6a54c6e65c88p-1', '0x1.2535526dfbf08p+1', '0x1.74a8ab7f062cep+1',
           '0x1.cfd74ac1c4c1cp+0'],
    "cotangent0": ['-0x1.7b5d6b6ac311dp+1', '0x1.0a47f4380d2f4p+0', '-0x1.533505d9f43e5p+1',
                   '-0x1.8f59767f86600p+1', '0x1.3f9820c37ea54p+1', '-0x1.062d90595172cp+1',
                   '-0x1.b7c1434fae2c0p+1', '-0x1.85edc19950c2ap+1', '-0x1.dcf7a8dadadd4p+1',
                   '0x1.2da173de8758bp+1', '-0x1.f81e4df753366p+0', '-0x1.3d990d5a84bd8p+1',
                   '-0x1.7f09f79f2404cp+1', '-0x1.fe7be23eccc0fp+1', '0x1.4d1f3bcd3a47ap-1',
                   '0x1.b2a978435231bp+1'],
}
SHAPES = {"x0": (4, 4), "x1": (4,), "x2": (4, 4), "cotangent0": (4, 4)}
P = {k: np.array([float.fromhex(h) for h in v]).reshape(SHAPES[k]) for k, v in HEX.items()}
NAMES = ("x0", "x1", "x2")   # A (reflectors), tau, C (other); u = cotangent0
KW = dict(left=True, transpose=True)   # op_db's ormqr sample 0


def fn(x0, x1, x2):
    return torch.ormqr(x0, x1, x2, **KW)


# ----------------------------------------------------------------- exact arithmetic
def mp_forward(A, tau, C):
    """H_k ... H_1 C (left=True, transpose=True) in mpmath: A, C lists of lists of mpf."""
    m, k = len(A), len(tau)
    out = [row[:] for row in C]
    for i in range(k):   # H_1 is applied first
        v = [mpmath.mpf(0)] * i + [mpmath.mpf(1)] + [A[j][i] for j in range(i + 1, m)]
        for c in range(len(C[0])):
            w = mpmath.fsum(v[j] * out[j][c] for j in range(m))
            for j in range(m):
                out[j][c] -= tau[i] * v[j] * w
    return out


def mp_of(x):
    return [[mpmath.mpf(float(a)) for a in row] for row in np.atleast_2d(x)] if x.ndim == 2 \
        else [mpmath.mpf(float(a)) for a in x]


def mp_scalar(pt):
    A, tau, C, U = (pt[k] for k in ("x0", "x1", "x2", "cotangent0"))
    out = mp_forward(A, tau, C)
    return mpmath.fsum(U[i][j] * out[i][j] for i in range(len(U)) for j in range(len(U[0])))


def mp_point(p):
    return {k: mp_of(v) for k, v in p.items()}


def mp_gradient(p):
    """Exact gradient of <u, ormqr> wrt x0, x1, x2 (central differences along one entry are
    exact: the scalar is of degree <= 2 in each single entry)."""
    pt, h, grads = mp_point(p), mpmath.mpf("1e-20"), {}
    for name in NAMES:
        g = np.empty(SHAPES[name], dtype=object)
        for idx in np.ndindex(*SHAPES[name]):
            vals = []
            for s in (1, -1):
                q = {k: ([r[:] for r in v] if isinstance(v[0], list) else v[:]) for k, v in pt.items()}
                if len(idx) == 2:
                    q[name][idx[0]][idx[1]] += s * h
                else:
                    q[name][idx[0]] += s * h
                vals.append(mp_scalar(q))
            g[idx] = (vals[0] - vals[1]) / (2 * h)
        grads[name] = g
    return grads


def torch_gradient(p, dtype=torch.float64):
    xs = [torch.tensor(p[k], dtype=dtype, requires_grad=True) for k in NAMES]
    out = fn(*xs)
    g = torch.autograd.grad((torch.tensor(p["cotangent0"], dtype=dtype) * out).sum(), xs)
    return {k: t.double().numpy() for k, t in zip(NAMES, g)}


def loop_gradient(p):
    """Autograd (float64) through ormqr written as an explicit loop of reflectors."""
    A, tau, C = (torch.tensor(p[k], requires_grad=True) for k in NAMES)
    m = A.shape[0]
    out = C
    for i in range(tau.shape[0]):
        v = torch.cat([torch.zeros(i, dtype=A.dtype), torch.ones(1, dtype=A.dtype), A[i + 1:, i]])
        out = out - tau[i] * v[:, None] * (v @ out)[None, :]
    g = torch.autograd.grad((torch.tensor(p["cotangent0"]) * out).sum(), (A, tau, C))
    return {k: t.numpy() for k, t in zip(NAMES, g)}


def f(x):
    return np.vectorize(float)(x)


def moved(p, rng, ulps=4):
    """Every differentiated input moved by a few ulps (workbench's Directional.ulps)."""
    eps = np.finfo(np.float64).eps
    return {k: (v * (1 + ulps * eps * rng.uniform(-1, 1, v.shape)) if k in NAMES else v)
            for k, v in p.items()}


def main() -> None:
    print(__doc__.split("\n\n")[0])
    print(f"torch {torch.__version__}, mpmath dps {mpmath.mp.dps}\n")

    # 1. forward
    out_t = fn(*(torch.tensor(P[k]) for k in NAMES)).numpy()
    out_m = f(np.array(mp_forward(*(mp_of(P[k]) for k in NAMES)), dtype=object))
    print(f"1. forward: max|out| {np.abs(out_m).max():.4g}; torch vs mpmath max abs err "
          f"{np.abs(out_t - out_m).max():.3g} = {np.abs(out_t - out_m).max() / np.abs(out_m).max():.2g}"
          f" of max|out| (about an ulp)\n")

    # 2. gradients entry by entry
    gm, gt = mp_gradient(P), torch_gradient(P)
    print("2. gradient of <u, ormqr(A, tau, C)>, entry by entry (true = mpmath 50 digits):")
    for k, label in zip(NAMES, ("x0 = A", "x1 = tau", "x2 = C")):
        true, got = f(gm[k]), gt[k]
        err = np.abs(got - true)
        worst = np.unravel_index(np.argmax(err), err.shape)
        print(f"   d/d{label}: max|true| {np.abs(true).max():.4g}, max|torch - true| "
              f"{err.max():.4g} (at {tuple(int(i) for i in worst)}: torch {got[worst]:.6g}, true "
              f"{true[worst]:.6g}); relative to max|true|: {err.max() / np.abs(true).max():.2g}")
    print("   entries (row, col): true -> torch, where torch is off by more than 1e-6 relative:")
    for k in NAMES:
        true, got = f(gm[k]), gt[k]
        for idx in np.ndindex(*true.shape):
            if abs(got[idx] - true[idx]) > 1e-6 * max(abs(true[idx]), 1e-300):
                print(f"     {k}{list(idx)}: {mpmath.nstr(gm[k][idx], 20)} -> {got[idx]:.17g}")
    print()

    # 3. conditioning: the true gradient vs torch's under 4-ulp moves; tau scaled down
    print("3. inputs moved by 4 ulps (3 seeds): relative change of the gradient (max over x0, "
          "x1 entries / max|true|)")
    for seed in (7, 8, 9):
        q = moved(P, np.random.default_rng(seed))
        gmq, gtq = mp_gradient(q), torch_gradient(q)
        dm = max(np.abs(f(gmq[k]) - f(gm[k])).max() / np.abs(f(gm[k])).max() for k in NAMES[:2])
        dt = max(np.abs(gtq[k] - gt[k]).max() / np.abs(f(gm[k])).max() for k in NAMES[:2])
        print(f"   seed {seed}: true gradient moves {dm:.2g}, torch's moves {dt:.2g}")
    loop = loop_gradient(P)
    e = max(np.abs(loop[k] - f(gm[k])).max() / np.abs(f(gm[k])).max() for k in NAMES)
    print(f"   autograd through an explicit float64 loop of the 4 reflectors (no inverses): max "
          f"relative error {e:.2g}: the accuracy is attainable in float64")
    for i in range(len(P["x1"])):
        v = np.r_[np.zeros(i), 1.0, P["x0"][i + 1:, i]]
        print(f"   reflector {i}: 1 - tau_i ||v_i||^2 = {1 - P['x1'][i] * (v @ v):.4g} (H_i scales v_i by it; "
              f"torch's backward divides by it, peeling H_i off result @ u^T with H(sigma_i))")
    print("   torch float32 vs float64 (tau scaled by s): the error scales with the dtype's eps")
    for s in (1e-3, 1e-5):
        q = dict(P, x1=P["x1"] * s)
        gmq = mp_gradient(q)
        errs = []
        for dt in (torch.float64, torch.float32):
            gq = torch_gradient(q, dt)
            errs.append(max(np.abs(gq[k] - f(gmq[k])).max() / np.abs(f(gmq[k])).max()
                            for k in NAMES[:2]))
        print(f"   s = {s:g}: float64 {errs[0]:.2g}, float32 {errs[1]:.2g} (ratio {errs[1] / errs[0]:.2g};"
              f" eps ratio {np.finfo(np.float32).eps / np.finfo(np.float64).eps:.2g})")
    print("   tau scaled by s (same A, C, u): torch's max relative error in d/dA, d/dtau")
    for s in (1.0, 1e-2, 1e-4, 1e-6):
        q = dict(P, x1=P["x1"] * s)
        gmq, gtq = mp_gradient(q), torch_gradient(q)
        e = max(np.abs(gtq[k] - f(gmq[k])).max() / np.abs(f(gmq[k])).max() for k in NAMES[:2])
        print(f"   s = {s:g} (|tau| up to {np.abs(q['x1']).max():.3g}): {e:.2g}")
    print()

    # 4. random directions through workbench's own references and Confirmation
    from workbench.code.confirm import Confirmation, Skip
    from workbench.code.directional import Directional
    from workbench.code.subject import build
    code = build(fn, tuple(torch.tensor(P[k]) for k in NAMES), None, None, None, "cpu")
    point = {k: torch.tensor(v) for k, v in P.items()}
    code.find_outputs({k: point[k] for k in NAMES})
    grad = code.subject(point)
    refs = Directional(code, point, grad)
    print(f"4. random directions (workbench's direction(): ±U(0.5,1)·|x|); references available: "
          f"{refs.names}")
    conf = Confirmation()
    for seed in range(6):
        at = refs.at(point, grad)
        v = at.direction(list(NAMES), np.random.default_rng(seed))
        true = mpmath.fsum(gm[k][idx] * mpmath.mpf(float(v[k][idx])) for k in NAMES
                           for idx in np.ndindex(*SHAPES[k]))
        d, r = at.code(v), at.richardson(v)
        try:
            found = conf.compare(at, v)
            decision = "agree" if found is None else "MISMATCH CONFIRMED"
        except Skip as skip:
            decision = "skipped: " + skip.reason.split(" (")[0]
        print(f"   seed {seed}: true {mpmath.nstr(true, 20)}\n"
              f"           torch (code) {d.value:.6g} (bound {d.bound:.2g}), rel err "
              f"{abs(d.value - float(true)) / abs(float(true)):.2g}\n"
              f"           Richardson   {r.value:.17g} (bound {r.bound:.2g}), rel err "
              f"{abs(r.value - float(true)) / abs(float(true)):.2g}, |err|/bound "
              f"{abs(r.value - float(true)) / r.bound:.2g}\n"
              f"           workbench decides: {decision}")
    counts: dict[str, int] = {}
    for cs in range(40):            # other cotangents (half of them rounded, as shrinking does)
        rng = np.random.default_rng(1000 + cs)
        u = rng.uniform(-4, 4, (4, 4))
        u = np.round(u) if cs % 2 else u
        pt = dict(point, cotangent0=torch.tensor(u))
        g = code.subject(pt)
        rf = Directional(code, pt, g)
        for seed in range(5):
            at = rf.at(pt, g)
            v = at.direction(list(NAMES), np.random.default_rng(seed))
            try:
                found = conf.compare(at, v)
                decision = "agree" if found is None else "mismatch confirmed"
            except Skip as skip:
                decision = "skipped: " + skip.reason.split(" (")[0]
            counts[decision] = counts.get(decision, 0) + 1
    print(f"   200 (cotangent, direction) pairs at the same x: {counts}")


if __name__ == "__main__":
    main()
