/* seggap-gengrid: a synthetic national population grid (issue 18's benchmark input).
 *
 * Writes N exact squares of --cell metres (default 100) in EPSG:32633 as one GeoPackage layer
 * `grid` with fields id (integer), g (migrants) and t (residents), the counts in the layer as
 * national 100 m grids ship them (Dutch CBS vierkanten, German Zensus Gitter, Swedish rutor).
 * Cells are taken row by row over a square lattice, each kept with probability 1 - --holes
 * (default 0.15: unpopulated cells are absent from such grids, so the lattice has holes),
 * until N are written. Residents follow a smooth density (a few town centres plus a rural
 * floor) with noise; the migrant share is a smooth field with clusters, so local indices find
 * hot spots. Deterministic for a --seed; all data is fictional.
 *
 * Unlike seggap-gencity (jittered quadrilaterals, counts in census.csv), the centroids lie
 * exactly on a lattice and the counts are in the layer: the command a user types on a national
 * grid is `seggap analyze --districts grid.gpkg --id id --group g --total t --out DIR`. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#define PROG "seggap-gengrid"
#define TXN_BATCH 100000L

static void die(const char *path, const char *what) {
    fprintf(stderr, PROG ": %s: %s%s%s\n", path, what, CPLGetLastErrorMsg()[0] ? ": " : "",
            CPLGetLastErrorMsg());
    exit(1);
}

static void usage(FILE *f) {
    fprintf(f, "usage: " PROG " --out FILE.gpkg [--n N] [--cell M] [--holes F] [--seed S]\n"
               "\n"
               "Write N exact squares of M metres (default 100) in EPSG:32633 as layer 'grid' with\n"
               "fields id, g (migrants), t (residents); cells of a square lattice, each absent with\n"
               "probability F (default 0.15), until N are written. Fictional, deterministic per seed.\n"
               "  --n N       number of cells, 1..100000000 (default 250000)\n"
               "  --cell M    cell size in metres, 1..100000 (default 100)\n"
               "  --holes F   share of lattice cells left out, 0 <= F <= 0.9 (default 0.15)\n"
               "  --seed S    random seed (default 42)\n");
}

static uint64_t mix(uint64_t x) { /* splitmix64 finaliser: a hash of the cell index */
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static double unit(uint64_t h) { return (double)(h >> 11) * 0x1.0p-53; }

static int parse_num(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) return 0;
    *out = v;
    return 1;
}

int main(int argc, char **argv) {
    const char *out = NULL;
    double n = 250000, cell = 100, holes = 0.15, seedv = 42;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, PROG ": %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        int ok = 1;
        if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--n")) ok = parse_num(v, 1, 1e8, &n) && n == floor(n);
        else if (!strcmp(a, "--cell")) ok = parse_num(v, 1, 1e5, &cell);
        else if (!strcmp(a, "--holes")) ok = parse_num(v, 0, 0.9, &holes);
        else if (!strcmp(a, "--seed")) ok = parse_num(v, 0, 1e15, &seedv) && seedv == floor(seedv);
        else {
            fprintf(stderr, PROG ": unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, PROG ": %s: invalid value '%s'\n", a, v);
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, PROG ": --out is required\n");
        usage(stderr);
        return 2;
    }
    long want = (long)n;
    uint64_t seed = (uint64_t)seedv;
    long cols = (long)ceil(sqrt((double)want / (1.0 - holes)));
    double side = (double)cols * cell;

    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) die(out, "GPKG driver not available");
    unlink(out);
    GDALDatasetH ds = GDALCreate(drv, out, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds) die(out, "cannot create");
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    if (OSRImportFromEPSG(srs, 32633) != OGRERR_NONE) die(out, "cannot set up EPSG:32633");
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, "grid", srs, wkbPolygon, NULL);
    if (!lyr) die(out, "cannot create layer grid");
    const char *fields[] = {"id", "g", "t"};
    for (int k = 0; k < 3; k++) {
        OGRFieldDefnH fd = OGR_Fld_Create(fields[k], k ? OFTInteger : OFTInteger64);
        if (OGR_L_CreateField(lyr, fd, TRUE) != OGRERR_NONE) die(out, "cannot create field");
        OGR_Fld_Destroy(fd);
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    /* Town centres (positions as fractions of the side, radius in metres). */
    enum { NTOWN = 12 };
    double tx[NTOWN], ty[NTOWN], tr[NTOWN], tp[NTOWN];
    for (int k = 0; k < NTOWN; k++) {
        tx[k] = unit(mix(seed * 131 + 4 * k)) * side;
        ty[k] = unit(mix(seed * 131 + 4 * k + 1)) * side;
        tr[k] = (0.02 + 0.06 * unit(mix(seed * 131 + 4 * k + 2))) * side + 20 * cell;
        tp[k] = 0.08 + 0.5 * unit(mix(seed * 131 + 4 * k + 3)); /* migrant share at the core */
    }
    const double x0 = 300000, y0 = 5700000; /* within UTM 33N */
    if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE) die(out, "cannot start transaction");
    long written = 0, rows = 0;
    double pop = 0, mig = 0;
    for (long idx = 0; written < want; idx++) {
        uint64_t h = mix(seed ^ mix((uint64_t)idx));
        if (unit(h) < holes) continue;
        long r = idx / cols, c = idx % cols;
        rows = r + 1;
        double cx = (c + 0.5) * cell, cy = (r + 0.5) * cell;
        double dens = 0.02, share = 0.05;
        for (int k = 0; k < NTOWN; k++) {
            double dx = cx - tx[k], dy = cy - ty[k];
            double w = exp(-(dx * dx + dy * dy) / (2 * tr[k] * tr[k]));
            dens += w;
            share += w * tp[k];
        }
        share = share / (1 + dens); /* between 0.05-ish and the towns' core shares */
        double noise = 0.5 + unit(mix(h + 1));
        long t = 1 + (long)(dens * 150 * noise);
        double local = share * (0.6 + 0.8 * unit(mix(h + 2)));
        if (local > 1) local = 1;
        long g = (long)floor(local * (double)t + unit(mix(h + 3)));
        if (g > t) g = t;
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFieldInteger64(f, 0, written + 1);
        OGR_F_SetFieldInteger(f, 1, (int)g);
        OGR_F_SetFieldInteger(f, 2, (int)t);
        double xa = x0 + c * cell, ya = y0 + r * cell;
        OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
        OGR_G_AddPoint_2D(ring, xa, ya);
        OGR_G_AddPoint_2D(ring, xa, ya + cell);
        OGR_G_AddPoint_2D(ring, xa + cell, ya + cell);
        OGR_G_AddPoint_2D(ring, xa + cell, ya);
        OGR_G_AddPoint_2D(ring, xa, ya);
        OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
        OGR_G_AddGeometryDirectly(poly, ring);
        OGR_F_SetGeometryDirectly(f, poly);
        if (OGR_L_CreateFeature(lyr, f) != OGRERR_NONE) die(out, "cannot write a feature");
        OGR_F_Destroy(f);
        pop += (double)t;
        mig += (double)g;
        if (++written % TXN_BATCH == 0) {
            if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE ||
                GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE)
                die(out, "cannot commit");
        }
    }
    if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE) die(out, "cannot commit");
    OSRDestroySpatialReference(srs);
    CPLErrorReset();
    GDALClose(ds);
    if (CPLGetLastErrorType() >= CE_Failure) die(out, "error while closing");
    printf(PROG ": %s: %ld cells of %g m over a %ld x %ld lattice, %.0f residents, %.1f %% migrants\n",
           out, written, cell, cols, rows, pop,
           pop > 0 ? 100 * mig / pop : 0);
    return 0;
}
