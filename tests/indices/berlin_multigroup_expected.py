#!/usr/bin/python3
"""Expected values for tests/indices/test_reference.c (berlin_multigroup): the aspatial
and multigroup indices of Berlin 2016, computed independently of seggap, with
the Python standard library only (csv, math.fsum), by the textbook double
loops (Gini over all ordered pairs, no sorting).

Usage: python3 tests/indices/berlin_multigroup_expected.py [../shared/data/berlin-2016]

Frame: the 7 origin groups that partition MH_E plus rest = E_E - MH_E (8 groups).
Two-group indices: x = MH_E, t = E_E.
"""
import csv
import math
import sys

base = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/berlin-2016"
GROUPS = ["HK_EU28", "HK_EheJug", "HK_EheSU", "HK_Turk", "HK_Arab", "HK_Sonst", "HK_NZOrd"]


def read(path, delim):
    # newline='' lets csv handle the CR-only line endings of the EWRMIGRA file.
    with open(path, newline="", encoding="utf-8-sig") as fh:
        text = fh.read().replace("\r\n", "\n").replace("\r", "\n")
    return {r["RAUMID"].strip(): r for r in csv.DictReader(text.splitlines(), delimiter=delim)}


e = read(base + "/EWR201612E_Matrix.csv", ",")
h = read(base + "/EWRMIGRA201612H_Matrix.csv", ";")
assert len(e) == 447 and set(e) == set(h)
ids = sorted(e)
t = [float(e[i]["E_E"]) for i in ids]
x = [float(h[i]["MH_E"]) for i in ids]
m = []
for j, i in enumerate(ids):
    row = [float(h[i][g]) for g in GROUPS]
    assert sum(row) == x[j]
    m.append(row + [t[j] - x[j]])
names = GROUPS + ["rest"]
n, K = len(ids), len(names)

# ---- two-group indices ----
X, T = math.fsum(x), math.fsum(t)
Y, P = T - X, X / T
p = [x[i] / t[i] for i in range(n)]
gini = math.fsum(t[i] * t[j] * abs(p[i] - p[j]) for i in range(n) for j in range(n)) / (2 * T * T * P * (1 - P))


def ent(q):
    return 0.0 if q <= 0 or q >= 1 else q * math.log(1 / q) + (1 - q) * math.log(1 / (1 - q))


E2 = ent(P)
entropy = math.fsum(t[i] * (E2 - ent(p[i])) for i in range(n)) / (E2 * T)


def atkinson(b):
    s = math.fsum((1 - p[i]) ** (1 - b) * p[i] ** b * t[i] for i in range(n)) / (P * T)
    return 1 - P / (1 - P) * abs(s) ** (1 / (1 - b))


xPx = math.fsum((x[i] / X) * (x[i] / t[i]) for i in range(n))
corr = (xPx - P) / (1 - P)
D = 0.5 * math.fsum(abs(x[i] / X - (t[i] - x[i]) / Y) for i in range(n))
mn = math.fsum(min(x[i] / X, (t[i] - x[i]) / Y) for i in range(n))
mx = math.fsum(max(x[i] / X, (t[i] - x[i]) / Y) for i in range(n))
min_max = 1 - mn / mx


def theta_star(th):
    # root z > 0 of z = th * tanh(th * z) by plain bisection on (0, th]
    if th <= 1:
        return 0.0
    lo, hi = 0.0, th
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid - th * math.tanh(th * mid) > 0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


dcd_terms = []
for i in range(n):
    p0, p1 = x[i] / X, (t[i] - x[i]) / Y
    s = math.sqrt(p1 * (1 - p1) / Y + p0 * (1 - p0) / X)
    dcd_terms.append(s * theta_star(abs(p1 - p0) / s))
dcd = 0.5 * math.fsum(dcd_terms)

# ConProf exactly as PySAL: numpy.linspace(0, 1, 1000) is j * (1/999), last = 1.0
grid = [j * (1.0 / 999) for j in range(1000)]
grid[-1] = 1.0
curve = [math.fsum(x[i] for i in range(n) if x[i] / t[i] >= th) / X for th in grid]
below = math.fsum(v for th, v in zip(grid, curve) if th < P) / 1000
above = math.fsum(v for th, v in zip(grid, curve) if th >= P) / 1000
conprof = (P - (below - above)) / (1 - P)

# ---- multigroup frame ----
ti = [math.fsum(r) for r in m]
Nk = [math.fsum(r[k] for r in m) for k in range(K)]
TT = math.fsum(Nk)
Pk = [v / TT for v in Nk]
pik = [[r[k] / ti[i] for k in range(K)] for i, r in enumerate(m)]
I = math.fsum(q * (1 - q) for q in Pk)
Ediv = math.fsum(-q * math.log(q) for q in Pk)
res = {}
res["multi_dissimilarity"] = math.fsum(ti[i] * abs(pik[i][k] - Pk[k]) for i in range(n) for k in range(K)) / (2 * TT * I)
res["multi_gini"] = math.fsum(
    ti[i] * ti[j] * abs(pik[i][k] - pik[j][k]) for k in range(K) for i in range(n) for j in range(n)
) / (2 * TT * TT * I)
kl = math.fsum(ti[i] * pik[i][k] * math.log(pik[i][k] / Pk[k]) for i in range(n) for k in range(K) if pik[i][k] > 0)
res["multi_information_theory"] = kl / (TT * Ediv)
res["multi_normalized_exposure"] = math.fsum(
    ti[i] * (pik[i][k] - Pk[k]) ** 2 / (1 - Pk[k]) for i in range(n) for k in range(K)) / TT
res["multi_relative_diversity"] = math.fsum(
    ti[i] * (pik[i][k] - Pk[k]) ** 2 for i in range(n) for k in range(K)) / (TT * I)
res["multi_squared_coefficient_of_variation"] = math.fsum(
    ti[i] * (pik[i][k] - Pk[k]) ** 2 / ((K - 1) * Pk[k]) for i in range(n) for k in range(K)) / TT
res["multi_divergence"] = kl / TT
res["multi_diversity"] = Ediv
res["simpsons_concentration"] = math.fsum(q * q for q in Pk)
res["simpsons_interaction"] = I
for k in range(K):
    rest_k = TT - Nk[k]
    res["dissimilarity_" + names[k]] = 0.5 * math.fsum(abs(m[i][k] / Nk[k] - (ti[i] - m[i][k]) / rest_k) for i in range(n))

print("two-group: D %.17g gini %.17g entropy %.17g atkinson_b05 %.17g correlation_ratio %.17g" % (D, gini, entropy, atkinson(0.5), corr))
print("two-group: atkinson_b01 %.17g atkinson_b09 %.17g min_max %.17g dcd %.17g conprof %.17g" % (atkinson(0.1), atkinson(0.9), min_max, dcd, conprof))
for k, v in res.items():
    print("%-40s %.17g" % (k, v))
for rid in ["01011101", "04041133", ids[max(range(n), key=lambda i: t[i])]]:
    i = ids.index(rid)
    div = -math.fsum(q * math.log(q) for q in pik[i] if q > 0)
    print("local %s: t %g local_entropy %.17g local_diversity %.17g lq %.17g lq_HK_Turk %.17g lq_rest %.17g" % (
        rid, t[i], div / math.log(K), div, p[i] / P, pik[i][3] / Pk[3], pik[i][7] / Pk[7]))
