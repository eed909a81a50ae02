#!/usr/bin/python3
"""tools/bench_pysal.py: seggap against a reference implementation (geopandas + libpysal + numpy).

A measuring tool of issue 8, not a dependency: nothing in the build or CI needs it. Run it with
Debian's python3 (`/usr/bin/python3`; needs python3-geopandas and python3-libpysal):

    /usr/bin/python3 tools/bench_pysal.py --districts CITY/districts.gpkg --census CITY/census.csv \
        --seggap build/tools/seggap [--runs 3] [--permutations 999]

On the same districts file and census table (joined on `code`, as seggap-gencity writes them) it
times, for the reference and for seggap (median of --runs runs each):

  read       geopandas.read_file + pandas.read_csv + merge     | seggap stage `read`
  indices    D, xPx, xPy in numpy (the formulas of             | seggap stage `indices.aspatial`
             geo/index_basic.c) over districts with total > 0  |   with --indices basic
  queen      libpysal.weights.Queen.from_dataframe             | seggap `spatial.adjacency` (queen pairs
                                                               |   and their shared boundary lengths;
                                                               |   --indices basic,spatial_evenness)
  perms      --permutations draws of the person-level null     | seggap stage `permutations`
             (numpy multivariate_hypergeometric: group members |   (--indices basic --permutations N
             spread over the residents, district totals kept)  |   --threads 2)

and checks that the values agree: D, xPx, xPy to 1e-12; the number of queen neighbour pairs and
of districts without a neighbour (seggap reports both in summary.json, in the detail of
spatial_dissimilarity) exactly; Morrill's D(adj) computed on libpysal's queen weights to 1e-12 (a
check that the adjacency itself is the same, not only its size); the rook pair count against
seggap's shared-boundary pairs (b_ij > 0). The permutation nulls use different random streams,
so their mean and standard deviation must only agree statistically (|difference of the means| <
5 standard errors; the standard deviations within 15 %). Exit status 0 when everything agrees, 1
when a value disagrees, 2 on a usage error, 3 when geopandas/libpysal cannot be imported.
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description="seggap against geopandas + libpysal on the same files")
    ap.add_argument("--districts", required=True, help="districts file (GeoPackage, Shapefile, ...)")
    ap.add_argument("--census", required=True, help="census CSV joined on --key")
    ap.add_argument("--id", default="code", help="district id field (default code)")
    ap.add_argument("--key", default="code", help="census key field (default code)")
    ap.add_argument("--total", default="total", help="total population field (default total)")
    ap.add_argument("--group", default="migrants", help="group count field (default migrants)")
    ap.add_argument("--seggap", default="build/tools/seggap", help="seggap binary (default build/tools/seggap)")
    ap.add_argument("--out", default=None, help="seggap output directory (default: a temporary one)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each side; medians reported (default 3)")
    ap.add_argument("--permutations", type=int, default=999,
                    help="permutations of D on each side (default 999; 0 skips them)")
    ap.add_argument("--seed", type=int, default=12345, help="numpy seed of the reference permutations")
    ap.add_argument("--no-rook", action="store_true", help="skip libpysal Rook (the rook pair check)")
    a = ap.parse_args()
    if a.runs < 1:
        ap.error("--runs must be >= 1")
    if a.permutations < 0:
        ap.error("--permutations must be >= 0")
    return a


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# ---------------------------------------------------------------------------------------------
# Reference side.

def basic_indices(np, x, t):
    """D, xPx, xPy exactly as geo/index_basic.c (compensated sums there, math.fsum here)."""
    X = math.fsum(x)
    T = math.fsum(t)
    Y = T - X
    y = t - x
    D = 0.5 * math.fsum(np.abs(x / X - y / Y))
    xPx = math.fsum((x / X) * (x / t))
    xPy = math.fsum((x / X) * (y / t))
    return D, xPx, xPy


def basic_indices_fast(np, x, t):
    """The same in plain numpy (pairwise sums): what is timed."""
    X = x.sum()
    Y = t.sum() - X
    y = t - x
    return 0.5 * np.abs(x / X - y / Y).sum(), ((x / X) * (x / t)).sum(), ((x / X) * (y / t)).sum()


def reference_run(mods, a, with_rook):
    np, pd, gpd, weights = mods
    out = {}
    t0 = time.perf_counter()
    gdf = gpd.read_file(a.districts)
    census = pd.read_csv(a.census, dtype={a.key: str})
    df = gdf.merge(census, left_on=a.id, right_on=a.key, how="left", validate="one_to_one")
    out["t_read"] = time.perf_counter() - t0

    ok = df[a.total].notna() & df[a.group].notna() & (df[a.total] > 0)
    used = df[ok].reset_index(drop=True)
    x = used[a.group].to_numpy(dtype=float)
    t = used[a.total].to_numpy(dtype=float)
    t0 = time.perf_counter()
    basic_indices_fast(np, x, t)
    out["t_indices"] = time.perf_counter() - t0
    out["D"], out["xPx"], out["xPy"] = basic_indices(np, x, t)
    out["read"], out["used"] = len(df), len(used)

    t0 = time.perf_counter()
    wq = weights.Queen.from_dataframe(used, silence_warnings=True)
    out["t_queen"] = time.perf_counter() - t0
    out["queen_pairs"] = int(round(wq.s0 / 2))
    out["queen_islands"] = len(wq.islands)
    # Morrill D(adj) on libpysal's binary queen weights (both orders of every pair).
    sp = wq.sparse.tocoo()
    p = x / t
    num = math.fsum(np.abs(p[sp.row] - p[sp.col]) * sp.data)
    out["D_adj"] = out["D"] - num / float(sp.data.sum())
    if with_rook:
        t0 = time.perf_counter()
        wr = weights.Rook.from_dataframe(used, silence_warnings=True)
        out["t_rook"] = time.perf_counter() - t0
        out["rook_pairs"] = int(round(wr.s0 / 2))
    out["x"], out["t"] = x, t
    return out


def reference_permutations(np, x, t, nperm, seed):
    """nperm draws of D under the person-level null: the X group members spread at random over
    the T residents (multivariate hypergeometric), district totals kept."""
    rng = np.random.default_rng(seed)
    ti = t.astype(np.int64)
    X = int(round(x.sum()))
    T = int(ti.sum())
    Y = T - X
    ds = np.empty(nperm)
    chunk = 32
    done = 0
    while done < nperm:
        k = min(chunk, nperm - done)
        xs = rng.multivariate_hypergeometric(ti, X, size=k, method="marginals")
        ds[done:done + k] = 0.5 * np.abs(xs / X - (ti - xs) / Y).sum(axis=1)
        done += k
    return ds


# ---------------------------------------------------------------------------------------------
# seggap side.

def run_seggap(a, outdir, extra):
    cmd = [a.seggap, "analyze", "--districts", a.districts, "--id", a.id, "--table", a.census,
           "--table-key", a.key, "--total", a.total, "--group", a.group, "--out", outdir,
           "--json", "--timings"] + extra
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("seggap exited with %d: %s\n  command: %s" %
                           (p.returncode, p.stderr.strip().splitlines()[-1:] or "", " ".join(cmd)))
    stages = {}
    for line in p.stderr.splitlines():
        f = line.split()
        if len(f) == 4 and f[0] == "seggap:" and f[1] == "timing":
            stages[f[2]] = stages.get(f[2], 0.0) + float(f[3])
    return wall, stages, json.loads(p.stdout)


def pairs_from_detail(summary, index, pattern):
    try:
        det = summary["indices"][index].get("detail") or ""
    except (KeyError, AttributeError):
        return None
    m = re.search(pattern, det)
    return tuple(int(g) for g in m.groups()) if m else None


# ---------------------------------------------------------------------------------------------

def main():
    a = parse_args()
    try:
        import numpy as np
        import pandas as pd
        import geopandas as gpd
        import warnings
        warnings.filterwarnings("ignore", message="Remote data sets not available")
        from libpysal import weights
        import libpysal
    except ImportError as e:
        print("bench_pysal: skipped: cannot import geopandas/libpysal (%s); on Debian: "
              "apt-get install python3-geopandas python3-libpysal, and run /usr/bin/python3" % e)
        return 3
    if not (os.path.isfile(a.seggap) and os.access(a.seggap, os.X_OK)):
        print("bench_pysal: seggap not found or not executable: %s (use --seggap)" % a.seggap, file=sys.stderr)
        return 2
    for f in (a.districts, a.census):
        if not os.path.exists(f):
            print("bench_pysal: no such file: %s" % f, file=sys.stderr)
            return 2
    mods = (np, pd, gpd, weights)
    if a.out is None:
        import tempfile
        a.out = tempfile.mkdtemp(prefix="seggap-pysal-")
    os.makedirs(a.out, exist_ok=True)

    # Reference runs.
    refs = []
    for r in range(a.runs):
        refs.append(reference_run(mods, a, with_rook=not a.no_rook))
        print("bench_pysal: reference run %d/%d: read %.3f s, queen %.3f s" %
              (r + 1, a.runs, refs[-1]["t_read"], refs[-1]["t_queen"]), file=sys.stderr)
    ref = refs[0]
    perm_times, ds = [], None
    if a.permutations > 0:
        for r in range(a.runs):
            t0 = time.perf_counter()
            ds = reference_permutations(np, ref["x"], ref["t"], a.permutations, a.seed + r)
            perm_times.append(time.perf_counter() - t0)
            print("bench_pysal: reference permutations %d/%d: %.3f s" % (r + 1, a.runs, perm_times[-1]),
                  file=sys.stderr)

    # seggap runs.
    sg_wall, sg_stages, sg_json = [], [], None
    sgp_wall, sgp_stages, sgp_json = [], [], None
    try:
        for r in range(a.runs):
            w, st, sg_json = run_seggap(a, os.path.join(a.out, "spatial_evenness"),
                                        ["--indices", "basic,spatial_evenness"])
            sg_wall.append(w)
            sg_stages.append(st)
        if a.permutations > 0:
            for r in range(a.runs):
                w, st, sgp_json = run_seggap(a, os.path.join(a.out, "permutations"),
                                             ["--indices", "basic", "--permutations", str(a.permutations),
                                              "--threads", "2"])
                sgp_wall.append(w)
                sgp_stages.append(st)
    except (RuntimeError, OSError, ValueError) as e:
        print("bench_pysal: seggap failed: %s" % e, file=sys.stderr)
        return 1

    def sg_med(runs, *names, prefix=None):
        vals = []
        for st in runs:
            v = sum(st.get(n, 0.0) for n in names)
            if prefix:
                v += sum(s for k, s in st.items() if k.startswith(prefix))
            vals.append(v)
        return median(vals)

    # ---- the table
    print("reference: geopandas %s, libpysal %s, numpy %s (1 thread); seggap: %s" %
          (gpd.__version__, libpysal.__version__, np.__version__, a.seggap))
    print("input: %s (%d districts read, %d with residents) + %s" %
          (a.districts, ref["read"], ref["used"], a.census))
    print("medians of %d run(s); load average %s" % (a.runs, " ".join(open("/proc/loadavg").read().split()[:3])))
    print()
    print("  %-56s %12s %12s %9s" % ("step (wall seconds)", "reference", "seggap", "ref/sg"))

    def trow(label, rt, st):
        ratio = rt / st if st > 0 else float("nan")
        print("  %-56s %12.4f %12.4f %9.1f" % (label, rt, st, ratio))

    trow("read + join (seggap: read)", median([r["t_read"] for r in refs]), sg_med(sg_stages, "read"))
    trow("D, xPx, xPy (seggap: indices.aspatial)", median([r["t_indices"] for r in refs]),
         sg_med(sg_stages, "indices.aspatial"))
    if all("spatial.adjacency" in st for st in sg_stages):
        trow("queen contiguity (seggap: spatial.adjacency)", median([r["t_queen"] for r in refs]),
             sg_med(sg_stages, "spatial.adjacency"))
    else:
        trow("queen contiguity (seggap: spatial.* + indices.spatial)", median([r["t_queen"] for r in refs]),
             sg_med(sg_stages, "indices.spatial", prefix="spatial."))
    if not a.no_rook:
        print("  %-56s %12.4f %12s" % ("rook contiguity (libpysal Rook)", median([r["t_rook"] for r in refs]),
                                       "(same build)"))
    if a.permutations > 0:
        trow("%d permutations of D (seggap: 2 threads)" % a.permutations, median(perm_times),
             sg_med(sgp_stages, "permutations"))
    print("  %-56s %12s %12.4f" % ("seggap whole run, basic + spatial_evenness", "", median(sg_wall)))
    print()

    # ---- the values
    bad = []
    sgi = sg_json["indices"]
    print("  %-34s %24s %24s %10s" % ("value", "reference", "seggap", "|diff|"))

    def vrow(label, rv, sv, tol):
        d = abs(rv - sv)
        ok = d <= tol
        print("  %-34s %24.17g %24.17g %10.2e%s" % (label, rv, sv, d, "" if ok else "  DISAGREE"))
        if not ok:
            bad.append(label)

    vrow("D (dissimilarity)", ref["D"], sgi["dissimilarity"]["value"], 1e-12)
    vrow("xPx (isolation)", ref["xPx"], sgi["isolation"]["value"], 1e-12)
    vrow("xPy (exposure)", ref["xPy"], sgi["exposure"]["value"], 1e-12)
    if "spatial_dissimilarity" in sgi:
        vrow("D(adj) Morrill on queen weights", ref["D_adj"], sgi["spatial_dissimilarity"]["value"], 1e-12)

    def irow(label, rv, sv):
        ok = rv == sv
        print("  %-34s %24d %24s %10s%s" % (label, rv, sv, "", "" if ok else "  DISAGREE"))
        if not ok:
            bad.append(label)

    used = sg_json.get("districts", {}).get("used")
    if used is not None:
        irow("districts used", ref["used"], used)
    q = pairs_from_detail(sg_json, "spatial_dissimilarity", r"(\d+) pairs, (\d+) island")
    if q is None:
        print("  queen pairs: seggap's summary.json does not expose them (no detail of "
              "spatial_dissimilarity); D(adj) above compares the adjacency instead")
    else:
        irow("queen neighbour pairs", ref["queen_pairs"], q[0])
        irow("districts without a queen neighbour", ref["queen_islands"], q[1])
    if not a.no_rook:
        b = pairs_from_detail(sg_json, "boundary_spatial_dissimilarity", r"(\d+) pairs")
        if b is not None:
            irow("rook pairs / shared-boundary pairs", ref["rook_pairs"], b[0])

    if a.permutations > 0 and ds is not None:
        sd_ = sgp_json["indices"]["dissimilarity"]
        rmean, rsd = float(ds.mean()), float(ds.std(ddof=1))
        rp = (1 + int((ds >= ref["D"]).sum())) / (a.permutations + 1)
        smean, ssd, sp = sd_.get("null_mean"), sd_.get("null_sd"), sd_.get("p_value")
        print()
        print("  permutation null of D (%d draws; different random streams: statistical agreement)" %
              a.permutations)
        print("  %-34s %24.10g %24.10g" % ("null mean", rmean, smean))
        print("  %-34s %24.10g %24.10g" % ("null sd", rsd, ssd))
        print("  %-34s %24.10g %24.10g" % ("p-value", rp, sp))
        se = math.sqrt(rsd ** 2 + ssd ** 2) / math.sqrt(a.permutations)
        if abs(rmean - smean) > 5 * se:
            bad.append("null mean (|diff| %.3g > 5 se %.3g)" % (abs(rmean - smean), 5 * se))
        if abs(rsd - ssd) > 0.15 * max(rsd, ssd):
            bad.append("null sd (%.3g vs %.3g)" % (rsd, ssd))
        if abs(rp - sp) > 0.05:
            bad.append("p-value (%.4g vs %.4g)" % (rp, sp))

    print()
    if bad:
        print("bench_pysal: DISAGREE: %s" % "; ".join(bad))
        return 1
    print("bench_pysal: all values agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
