/* seggap-gencity: deterministic synthetic city generator.
 *
 * Writes a fictional city (districts, census table, public services and
 * social housing) for tests, samples and benchmarks. All randomness comes
 * from a splitmix64 generator seeded by --seed; the same arguments give
 * byte-identical districts.shp/.shx/.dbf/.prj/.cpg and census.csv.
 *
 * Layout: N districts on a near-square lattice of cols x rows cells
 * (cols * rows == N when N has a divisor pair with aspect <= 2, otherwise
 * the smallest ceil(sqrt(N))-wide rectangle, with the top row trimmed).
 *   grid     quadrilaterals over a jittered lattice; vertices are computed
 *            from integer lattice indices only, so neighbours share
 *            bit-identical edges.
 *   squares  exact squares of --cell m on the lattice (a population grid).
 *   hex      pointy-top hexagons, vertices on an integer half-unit lattice
 *            (again shared bit-identically), slightly jittered.
 *   voronoi  GEOSVoronoiDiagram_r of jittered seeds, clipped to the extent.
 *
 * Districts are in EPSG:25832, the city centred on (560000, 5640000). Services and housing are written in EPSG:3035,
 * reprojected from the UTM coordinates with OGR/PROJ.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <geos_c.h>

#define PROG "seggap-gencity"

#define CITY_X0 560000.0
#define CITY_Y0 5640000.0
#define EPSG_CITY 25832
#define EPSG_SERVICES 3035

#define MAX_DISTRICTS 9999999L
#define TXN_BATCH 100000L
/* Fixed dates keep the DBF header and GeoPackage metadata reproducible. */
#define FIXED_DBF_DATE "2024-01-01"
#define FIXED_OGR_DATE "2024-01-01T00:00:00.000Z"

/* Independent random streams (one per purpose) so that results do not
 * depend on the order in which things are generated. */
enum {
    STREAM_VERTEX_X = 1,
    STREAM_VERTEX_Y,
    STREAM_SEED_PT,
    STREAM_CLUSTERS,
    STREAM_CENSUS,
    STREAM_SERVICES,
    STREAM_HOUSING,
    STREAM_NETWORK
};

typedef enum { SHAPE_GRID, SHAPE_HEX, SHAPE_VORONOI, SHAPE_SQUARES } shape_kind;
typedef enum { FORMAT_SHP, FORMAT_GPKG, FORMAT_BOTH } out_format;

typedef struct {
    const char *out;
    long n;
    shape_kind shape;
    uint64_t seed;
    out_format format;
    long services; /* -1: default */
    double cell;
    double network; /* street spacing in metres, 0: no roads.gpkg */
} options;

typedef struct {
    double x, y, sigma, amp;
} cluster;

typedef struct {
    long n, cols, rows;
    long last_k; /* cells in the top row (== cols unless trimmed) */
    int trimmed;
    double cell;
    double x0, y0;
    double width, height;
    double hex_s, hex_hx, hex_hy; /* hex radius and half-unit steps */
    shape_kind shape;
    uint64_t seed;
    int code_width;
    long bcols, brows;
    long zero_idx; /* district with no population, -1 if none */
    int ncl;
    cluster cl[3];
    /* per district census, filled by make_census() */
    int32_t *total;
    int32_t *migrants;
    int32_t *overcrowd_milli;
    float *share;
} city;

/* ------------------------------------------------------------------ */
/* Deterministic randomness: splitmix64.                               */

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t splitmix64_next(uint64_t *state) {
    *state += 0x9E3779B97F4A7C15ULL;
    return mix64(*state);
}

static uint64_t stream_seed(uint64_t seed, uint64_t stream, uint64_t index) {
    uint64_t s = mix64(seed + 0x9E3779B97F4A7C15ULL * (stream + 1));
    return mix64(s ^ mix64(index + 0xD1B54A32D192ED03ULL));
}

/* Uniform in [0, 1). */
static double u01(uint64_t x) { return (double)(x >> 11) * 0x1.0p-53; }

static double rng_uniform(uint64_t *st) { return u01(splitmix64_next(st)); }

static double rng_normal(uint64_t *st) {
    double u1 = 1.0 - rng_uniform(st); /* (0, 1] */
    double u2 = rng_uniform(st);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

/* Uniform in [0, 1) as a pure function of (seed, stream, index). */
static double hash_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
    return u01(stream_seed(seed, stream, index));
}

/* ------------------------------------------------------------------ */
/* Errors.                                                             */

static void usage(FILE *f) {
    fprintf(f,
            "usage: " PROG " --out DIR [--n N] [--shape grid|squares|hex|voronoi] [--seed S]\n"
            "                      [--format shp|gpkg|both] [--services N] [--cell M] [--network M]\n"
            "                      [--help]\n"
            "\n"
            "Generate a deterministic synthetic city (all data is fictional).\n"
            "\n"
            "  --out DIR        output directory (created if missing)\n"
            "  --n N            number of districts, 1..%ld (default 120)\n"
            "  --shape KIND     grid (jittered quadrilaterals, default), squares (exact\n"
            "                   squares of --cell m), hex, voronoi\n"
            "  --seed S         random seed, unsigned 64-bit integer (default 42)\n"
            "  --format F       districts as shp (default), gpkg, or both (the same\n"
            "                   features in districts.shp and districts.gpkg)\n"
            "  --services N     number of service points over all types\n"
            "                   (default max(4, N/3))\n"
            "  --cell M         cell size in metres, 1..100000 (default 500)\n"
            "  --network M      also write roads.gpkg (layer roads, EPSG:25832): a grid of\n"
            "                   streets every M metres over the city, one line per link\n"
            "                   between crossings, about 5 %% of the links removed; fields\n"
            "                   speed (km/h: 50 on every 4th street, else 30) and oneway\n"
            "                   (yes on about 5 %% of the links, else no)\n"
            "  --help           show this help and exit\n"
            "\n"
            "Outputs in DIR: districts.shp and/or districts.gpkg, census.csv,\n"
            "services.gpkg (layers school, library, health_centre, park) and\n"
            "housing.gpkg (layer social_housing).\n",
            MAX_DISTRICTS);
}

static void usage_error(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, PROG ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
    exit(2);
}

static void io_error(const char *path, const char *what) {
    const char *msg = CPLGetLastErrorMsg();
    fprintf(stderr, PROG ": %s: %s%s%s\n", path, what, (msg && *msg) ? ": " : "",
            (msg && *msg) ? msg : "");
    exit(1);
}

static void io_errno(const char *path, const char *what) {
    fprintf(stderr, PROG ": %s: %s: %s\n", path, what, strerror(errno));
    exit(1);
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, PROG ": out of memory\n");
        exit(1);
    }
    return p;
}

static char *join_path(const char *dir, const char *name) {
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = xcalloc(len, 1);
    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

/* ------------------------------------------------------------------ */
/* Command line.                                                       */

static long parse_long(const char *opt, const char *v, long lo, long hi) {
    char *end;
    errno = 0;
    if (!*v || *v == '-' || *v == '+' || *v == ' ') usage_error("%s: invalid number '%s'", opt, v);
    long x = strtol(v, &end, 10);
    if (errno || *end) usage_error("%s: invalid number '%s'", opt, v);
    if (x < lo || x > hi) usage_error("%s: %ld out of range %ld..%ld", opt, x, lo, hi);
    return x;
}

static uint64_t parse_u64(const char *opt, const char *v) {
    char *end;
    errno = 0;
    if (!*v || *v == '-' || *v == '+' || *v == ' ') usage_error("%s: invalid number '%s'", opt, v);
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end) usage_error("%s: invalid number '%s'", opt, v);
    return (uint64_t)x;
}

static double parse_double(const char *opt, const char *v, double lo, double hi) {
    char *end;
    errno = 0;
    if (!*v || *v == ' ') usage_error("%s: invalid number '%s'", opt, v);
    double x = strtod(v, &end);
    if (errno || *end || !isfinite(x)) usage_error("%s: invalid number '%s'", opt, v);
    if (x < lo || x > hi) usage_error("%s: %g out of range %g..%g", opt, x, lo, hi);
    return x;
}

static void parse_args(int argc, char **argv, options *o) {
    o->out = NULL;
    o->n = 120;
    o->shape = SHAPE_GRID;
    o->seed = 42;
    o->format = FORMAT_SHP;
    o->services = -1;
    o->cell = 500.0;
    o->network = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strncmp(a, "--", 2) != 0) usage_error("unexpected argument '%s'", a);
        /* --opt value or --opt=value */
        char name[32];
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof name) usage_error("unknown option '%s'", a);
        memcpy(name, a, nl);
        name[nl] = '\0';
        if (strcmp(name, "--out") && strcmp(name, "--n") && strcmp(name, "--shape") &&
            strcmp(name, "--seed") && strcmp(name, "--format") && strcmp(name, "--services") &&
            strcmp(name, "--cell") && strcmp(name, "--network"))
            usage_error("unknown option '%s'", name);
        if (eq) {
            val = eq + 1;
        } else {
            if (i + 1 >= argc) usage_error("option %s needs a value", name);
            val = argv[++i];
        }
        if (strcmp(name, "--out") == 0) {
            if (!*val) usage_error("--out: empty directory name");
            o->out = val;
        } else if (strcmp(name, "--n") == 0) {
            o->n = parse_long(name, val, 1, MAX_DISTRICTS);
        } else if (strcmp(name, "--shape") == 0) {
            if (strcmp(val, "grid") == 0) o->shape = SHAPE_GRID;
            else if (strcmp(val, "squares") == 0) o->shape = SHAPE_SQUARES;
            else if (strcmp(val, "hex") == 0) o->shape = SHAPE_HEX;
            else if (strcmp(val, "voronoi") == 0) o->shape = SHAPE_VORONOI;
            else usage_error("--shape: expected grid, squares, hex or voronoi, got '%s'", val);
        } else if (strcmp(name, "--seed") == 0) {
            o->seed = parse_u64(name, val);
        } else if (strcmp(name, "--format") == 0) {
            if (strcmp(val, "shp") == 0) o->format = FORMAT_SHP;
            else if (strcmp(val, "gpkg") == 0) o->format = FORMAT_GPKG;
            else if (strcmp(val, "both") == 0) o->format = FORMAT_BOTH;
            else usage_error("--format: expected shp, gpkg or both, got '%s'", val);
        } else if (strcmp(name, "--services") == 0) {
            o->services = parse_long(name, val, 0, 100000000L);
        } else if (strcmp(name, "--network") == 0) {
            o->network = parse_double(name, val, 10.0, 100000.0);
        } else { /* --cell */
            o->cell = parse_double(name, val, 1.0, 100000.0);
        }
    }
    if (!o->out) usage_error("missing required option --out DIR");
}

/* ------------------------------------------------------------------ */
/* City layout.                                                        */

static void choose_layout(long n, long *cols, long *rows) {
    long r = (long)sqrt((double)n);
    while ((r + 1) * (r + 1) <= n) r++;
    while (r > 1 && r * r > n) r--;
    for (long rr = r; rr >= 1; rr--) {
        long c = n / rr;
        if (c > 2 * rr) break;
        if (n % rr == 0) {
            *cols = c;
            *rows = rr;
            return;
        }
    }
    long c = r * r == n ? r : r + 1; /* ceil(sqrt(n)) */
    *cols = c;
    *rows = (n + c - 1) / c;
}

static const char *const borough_names[6] = {"Lindenau", "Suedstadt",  "Hafenviertel",
                                             "Weststadt", "Altstadt",  "Nordstadt"};

static void init_city(city *ct, const options *o) {
    memset(ct, 0, sizeof *ct);
    ct->n = o->n;
    ct->shape = o->shape;
    ct->seed = o->seed;
    ct->cell = o->cell;
    choose_layout(o->n, &ct->cols, &ct->rows);
    ct->last_k = o->n - (ct->rows - 1) * ct->cols;
    ct->trimmed = ct->last_k < ct->cols;
    ct->code_width = o->n <= 99999 ? 5 : 7;
    if (o->shape == SHAPE_HEX) {
        /* hexagon area == cell^2 */
        ct->hex_s = o->cell * sqrt(2.0 / (3.0 * sqrt(3.0)));
        ct->hex_hx = sqrt(3.0) / 2.0 * ct->hex_s;
        ct->hex_hy = ct->hex_s / 2.0;
        ct->width = (double)(2 * ct->cols + 1) * ct->hex_hx;
        ct->height = (double)(3 * ct->rows + 1) * ct->hex_hy;
    } else {
        ct->width = (double)ct->cols * o->cell;
        ct->height = (double)ct->rows * o->cell;
    }
    /* centre the city on (CITY_X0, CITY_Y0), corner on whole metres */
    ct->x0 = floor(CITY_X0 - ct->width / 2.0);
    ct->y0 = floor(CITY_Y0 - ct->height / 2.0);
    ct->bcols = ct->cols < 3 ? ct->cols : 3;
    ct->brows = ct->rows < 2 ? ct->rows : 2;

    /* The unpopulated district (docks / industrial area): south-east. */
    ct->zero_idx = -1;
    if (o->n >= 2) {
        long c = (ct->cols * 4) / 5, r = ct->rows / 5;
        if (c >= ct->cols) c = ct->cols - 1;
        long idx = r * ct->cols + c;
        if (idx >= o->n) idx = o->n - 1;
        ct->zero_idx = idx;
    }

    /* Migrant clusters. */
    uint64_t st = stream_seed(o->seed, STREAM_CLUSTERS, 0);
    ct->ncl = 2 + (int)(splitmix64_next(&st) % 2);
    double scale = sqrt(ct->width * ct->height);
    for (int k = 0; k < ct->ncl; k++) {
        ct->cl[k].x = ct->x0 + ct->width * (0.2 + 0.6 * rng_uniform(&st));
        ct->cl[k].y = ct->y0 + ct->height * (0.2 + 0.6 * rng_uniform(&st));
        ct->cl[k].sigma = scale * (0.08 + 0.07 * rng_uniform(&st));
        ct->cl[k].amp = 0.38 + 0.12 * rng_uniform(&st);
    }
}

static void cell_of(const city *ct, long idx, long *c, long *r) {
    *c = idx % ct->cols;
    *r = idx / ct->cols;
}

static long borough_of(const city *ct, long idx) {
    long c, r;
    cell_of(ct, idx, &c, &r);
    long bc = c * ct->bcols / ct->cols;
    long br = r * ct->brows / ct->rows;
    return br * ct->bcols + bc; /* 0-based */
}

/* Grid lattice vertex (i, j), 0 <= i <= cols, 0 <= j <= rows. Depends only
 * on (i, j) so every cell sharing it gets bit-identical coordinates. The
 * outer boundary is kept straight (jitter only along it). */
static void grid_vertex(const city *ct, long i, long j, double *x, double *y) {
    int fixx = (i == 0 || i == ct->cols);
    int fixy = (j == 0 || j == ct->rows);
    if (ct->trimmed) {
        if (j == ct->rows - 1 && i >= ct->last_k) fixy = 1;
        if (i == ct->last_k && j >= ct->rows - 1) fixx = 1;
    }
    uint64_t key = (uint64_t)j * (uint64_t)(ct->cols + 1) + (uint64_t)i;
    if (ct->shape == SHAPE_SQUARES) fixx = fixy = 1; /* exact squares of --cell m */
    double jx = fixx ? 0.0 : (hash_uniform(ct->seed, STREAM_VERTEX_X, key) - 0.5) * 0.4;
    double jy = fixy ? 0.0 : (hash_uniform(ct->seed, STREAM_VERTEX_Y, key) - 0.5) * 0.4;
    *x = ct->x0 + ((double)i + jx) * ct->cell;
    *y = ct->y0 + ((double)j + jy) * ct->cell;
}

/* Hex vertex on the half-unit lattice (kx in units of hx, my in units of hy). */
static void hex_vertex(const city *ct, long kx, long my, double *x, double *y) {
    uint64_t key = (uint64_t)my * (uint64_t)(2 * ct->cols + 4) + (uint64_t)kx;
    double jx = (hash_uniform(ct->seed, STREAM_VERTEX_X, key) - 0.5) * 0.16 * ct->hex_s;
    double jy = (hash_uniform(ct->seed, STREAM_VERTEX_Y, key) - 0.5) * 0.16 * ct->hex_s;
    *x = ct->x0 + (double)kx * ct->hex_hx + jx;
    *y = ct->y0 + (double)my * ct->hex_hy + jy;
}

static void voronoi_seed(const city *ct, long idx, double *x, double *y) {
    long c, r;
    cell_of(ct, idx, &c, &r);
    uint64_t st = stream_seed(ct->seed, STREAM_SEED_PT, (uint64_t)idx);
    *x = ct->x0 + ((double)c + 0.5 + (rng_uniform(&st) - 0.5) * 0.7) * ct->cell;
    *y = ct->y0 + ((double)r + 0.5 + (rng_uniform(&st) - 0.5) * 0.7) * ct->cell;
}

/* A point well inside district idx and the half-size of a square around it
 * that stays inside the district. */
static void district_anchor(const city *ct, long idx, double *x, double *y, double *half) {
    long c, r;
    cell_of(ct, idx, &c, &r);
    switch (ct->shape) {
    case SHAPE_GRID:
    case SHAPE_SQUARES:
        *x = ct->x0 + ((double)c + 0.5) * ct->cell;
        *y = ct->y0 + ((double)r + 0.5) * ct->cell;
        *half = 0.25 * ct->cell; /* the jittered quad contains [0.2, 0.8]^2 */
        break;
    case SHAPE_HEX:
        *x = ct->x0 + (double)(2 * c + 1 + (r & 1)) * ct->hex_hx;
        *y = ct->y0 + (double)(3 * r + 2) * ct->hex_hy;
        *half = 0.45 * ct->hex_s;
        break;
    default:
        voronoi_seed(ct, idx, x, y);
        *half = 0.09 * ct->cell; /* seeds are >= 0.3 cell apart */
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Census.                                                             */

static void make_census(city *ct) {
    long n = ct->n;
    ct->total = xcalloc((size_t)n, sizeof *ct->total);
    ct->migrants = xcalloc((size_t)n, sizeof *ct->migrants);
    ct->overcrowd_milli = xcalloc((size_t)n, sizeof *ct->overcrowd_milli);
    ct->share = xcalloc((size_t)n, sizeof *ct->share);
    for (long i = 0; i < n; i++) {
        uint64_t st = stream_seed(ct->seed, STREAM_CENSUS, (uint64_t)i);
        double x, y, half;
        district_anchor(ct, i, &x, &y, &half);
        double g = 0.0;
        for (int k = 0; k < ct->ncl; k++) {
            double dx = x - ct->cl[k].x, dy = y - ct->cl[k].y;
            double s2 = ct->cl[k].sigma * ct->cl[k].sigma;
            double v = ct->cl[k].amp * exp(-(dx * dx + dy * dy) / (2.0 * s2));
            if (v > g) g = v;
        }
        double share = 0.08 + g + 0.025 * rng_normal(&st);
        if (share < 0.0) share = 0.0;
        if (share > 0.95) share = 0.95;

        double t = exp(log(2400.0) + 0.45 * rng_normal(&st));
        if (t < 800.0) t = 800.0 + 50.0 * rng_uniform(&st);
        if (t > 6000.0) t = 6000.0 - 50.0 * rng_uniform(&st);
        long total = lround(t);
        long mig = lround(share * (double)total);
        if (mig > total) mig = total;

        double oc = 0.02 + 0.40 * share + 0.02 * rng_normal(&st);
        if (oc < 0.0) oc = 0.0;
        if (oc > 1.0) oc = 1.0;
        long ocm = lround(oc * 1000.0);

        if (i == ct->zero_idx) {
            total = 0;
            mig = 0;
            ocm = 0;
            share = 0.0;
        }
        ct->total[i] = (int32_t)total;
        ct->migrants[i] = (int32_t)mig;
        ct->overcrowd_milli[i] = (int32_t)ocm;
        ct->share[i] = (float)share;
    }
}

static void write_census(const city *ct, const char *dir) {
    char *path = join_path(dir, "census.csv");
    if (unlink(path) != 0 && errno != ENOENT) io_errno(path, "cannot remove");
    FILE *f = fopen(path, "wb");
    if (!f) io_errno(path, "cannot create");
    static char buf[1 << 16];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    fputs("code,total,migrants,overcrowding_rate\n", f);
    for (long i = 0; i < ct->n; i++) {
        long ocm = ct->overcrowd_milli[i];
        fprintf(f, "%0*ld,%ld,%ld,%ld.%03ld\n", ct->code_width, i + 1, (long)ct->total[i],
                (long)ct->migrants[i], ocm / 1000, ocm % 1000);
    }
    if (ferror(f)) io_errno(path, "write error");
    if (fclose(f) != 0) io_errno(path, "write error");
    free(path);
}

/* ------------------------------------------------------------------ */
/* GDAL helpers.                                                       */

static OGRSpatialReferenceH make_srs(int epsg) {
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    if (OSRImportFromEPSG(srs, epsg) != OGRERR_NONE) {
        fprintf(stderr, PROG ": cannot set up EPSG:%d: %s\n", epsg, CPLGetLastErrorMsg());
        exit(1);
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

static void remove_file(const char *path) {
    if (unlink(path) != 0 && errno != ENOENT) io_errno(path, "cannot remove");
}

static void remove_gpkg(const char *path) {
    static const char *const sfx[] = {"", "-journal", "-wal", "-shm"};
    for (size_t k = 0; k < sizeof sfx / sizeof sfx[0]; k++) {
        size_t len = strlen(path) + 16;
        char *p = xcalloc(len, 1);
        snprintf(p, len, "%s%s", path, sfx[k]);
        remove_file(p);
        free(p);
    }
}

static GDALDatasetH create_gpkg(const char *path) {
    remove_gpkg(path);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) io_error(path, "GPKG driver not available");
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds) io_error(path, "cannot create");
    return ds;
}

static void add_field(OGRLayerH lyr, const char *path, const char *name, OGRFieldType type,
                      int width) {
    OGRFieldDefnH fd = OGR_Fld_Create(name, type);
    if (width > 0) OGR_Fld_SetWidth(fd, width);
    if (OGR_L_CreateField(lyr, fd, TRUE) != OGRERR_NONE) io_error(path, "cannot create field");
    OGR_Fld_Destroy(fd);
}

/* Transaction batching for GeoPackage writes. */
typedef struct {
    GDALDatasetH ds;
    const char *path;
    int use;
    int open;
    long count;
} txn;

static void txn_begin(txn *t) {
    if (t->use && !t->open) {
        if (GDALDatasetStartTransaction(t->ds, FALSE) != OGRERR_NONE)
            io_error(t->path, "cannot start transaction");
        t->open = 1;
    }
}

static void txn_commit(txn *t) {
    if (t->open) {
        if (GDALDatasetCommitTransaction(t->ds) != OGRERR_NONE)
            io_error(t->path, "cannot commit transaction");
        t->open = 0;
    }
}

static void txn_tick(txn *t) {
    if (++t->count % TXN_BATCH == 0) {
        txn_commit(t);
        txn_begin(t);
    }
}

static void close_dataset(GDALDatasetH ds, const char *path) {
    CPLErrorReset();
    GDALClose(ds);
    if (CPLGetLastErrorType() >= CE_Failure) io_error(path, "error while closing");
}

/* ------------------------------------------------------------------ */
/* Districts.                                                          */

typedef struct {
    const city *ct;
    GEOSContextHandle_t geos;
    GEOSGeometry **cells; /* voronoi: clipped cell per district */
} shapes;

static void geos_error(const char *message, void *userdata) {
    (void)userdata;
    fprintf(stderr, PROG ": GEOS error: %s\n", message);
}

static GEOSGeometry *extent_polygon(GEOSContextHandle_t g, const city *ct) {
    double x0 = ct->x0, y0 = ct->y0, c = ct->cell;
    double xs[7], ys[7];
    int np = 0;
#define PT(X, Y) (xs[np] = (X), ys[np] = (Y), np++)
    PT(x0, y0);
    PT(x0 + (double)ct->cols * c, y0);
    if (ct->trimmed) {
        PT(x0 + (double)ct->cols * c, y0 + (double)(ct->rows - 1) * c);
        PT(x0 + (double)ct->last_k * c, y0 + (double)(ct->rows - 1) * c);
        PT(x0 + (double)ct->last_k * c, y0 + (double)ct->rows * c);
    } else {
        PT(x0 + (double)ct->cols * c, y0 + (double)ct->rows * c);
    }
    PT(x0, y0 + (double)ct->rows * c);
    PT(x0, y0);
#undef PT
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(g, (unsigned)np, 2);
    for (int k = 0; k < np; k++) GEOSCoordSeq_setXY_r(g, cs, (unsigned)k, xs[k], ys[k]);
    GEOSGeometry *ring = GEOSGeom_createLinearRing_r(g, cs);
    return GEOSGeom_createPolygon_r(g, ring, NULL, 0);
}

/* Largest polygon of a (multi)polygon/collection; returns a new geometry. */
static GEOSGeometry *largest_polygon(GEOSContextHandle_t g, const GEOSGeometry *geom) {
    int type = GEOSGeomTypeId_r(g, geom);
    if (type == GEOS_POLYGON) return GEOSGeom_clone_r(g, geom);
    if (type != GEOS_MULTIPOLYGON && type != GEOS_GEOMETRYCOLLECTION) return NULL;
    const GEOSGeometry *best = NULL;
    double best_area = -1.0;
    int nparts = GEOSGetNumGeometries_r(g, geom);
    for (int k = 0; k < nparts; k++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(g, geom, k);
        if (GEOSGeomTypeId_r(g, part) != GEOS_POLYGON) continue;
        double a = 0.0;
        GEOSArea_r(g, part, &a);
        if (a > best_area) {
            best_area = a;
            best = part;
        }
    }
    return best ? GEOSGeom_clone_r(g, best) : NULL;
}

static void build_voronoi(shapes *sh) {
    const city *ct = sh->ct;
    GEOSContextHandle_t g = sh->geos;
    long n = ct->n;
    GEOSGeometry **pts = xcalloc((size_t)n, sizeof *pts);
    for (long i = 0; i < n; i++) {
        double x, y;
        voronoi_seed(ct, i, &x, &y);
        pts[i] = GEOSGeom_createPointFromXY_r(g, x, y);
    }
    GEOSGeometry *mp = GEOSGeom_createCollection_r(g, GEOS_MULTIPOINT, pts, (unsigned)n);
    free(pts);
    GEOSGeometry *extent = extent_polygon(g, ct);
    if (!mp || !extent) {
        fprintf(stderr, PROG ": GEOS: cannot build seed geometry\n");
        exit(1);
    }
    GEOSGeometry *diagram = GEOSVoronoiDiagram_r(g, mp, extent, 0.0, 0);
    GEOSGeom_destroy_r(g, mp);
    if (!diagram) {
        fprintf(stderr, PROG ": GEOS: Voronoi diagram failed\n");
        exit(1);
    }
    const GEOSPreparedGeometry *prep = GEOSPrepare_r(g, extent);
    sh->cells = xcalloc((size_t)n, sizeof *sh->cells);
    int ncells = GEOSGetNumGeometries_r(g, diagram);
    for (int k = 0; k < ncells; k++) {
        const GEOSGeometry *cellg = GEOSGetGeometryN_r(g, diagram, k);
        GEOSGeometry *clipped;
        if (GEOSPreparedContains_r(g, prep, cellg) == 1) {
            clipped = GEOSGeom_clone_r(g, cellg);
        } else {
            GEOSGeometry *inter = GEOSIntersection_r(g, extent, cellg);
            clipped = inter ? largest_polygon(g, inter) : NULL;
            if (inter) GEOSGeom_destroy_r(g, inter);
        }
        if (!clipped || GEOSisEmpty_r(g, clipped)) {
            if (clipped) GEOSGeom_destroy_r(g, clipped);
            continue;
        }
        /* Which seed owns this cell: a point inside the cell is nearest to it. */
        GEOSGeometry *pos = GEOSPointOnSurface_r(g, clipped);
        double px = 0.0, py = 0.0;
        if (!pos || GEOSGeomGetX_r(g, pos, &px) != 1 || GEOSGeomGetY_r(g, pos, &py) != 1) {
            fprintf(stderr, PROG ": GEOS: cannot locate Voronoi cell\n");
            exit(1);
        }
        GEOSGeom_destroy_r(g, pos);
        long pc = (long)floor((px - ct->x0) / ct->cell);
        long pr = (long)floor((py - ct->y0) / ct->cell);
        long owner = -1;
        double best = INFINITY;
        for (long r = pr - 2; r <= pr + 2; r++) {
            if (r < 0 || r >= ct->rows) continue;
            for (long c = pc - 2; c <= pc + 2; c++) {
                if (c < 0 || c >= ct->cols) continue;
                long idx = r * ct->cols + c;
                if (idx >= n) continue;
                double sx, sy;
                voronoi_seed(ct, idx, &sx, &sy);
                double d = (sx - px) * (sx - px) + (sy - py) * (sy - py);
                if (d < best) {
                    best = d;
                    owner = idx;
                }
            }
        }
        if (owner < 0 || sh->cells[owner]) {
            fprintf(stderr, PROG ": GEOS: Voronoi cell %d has no unique seed\n", k);
            exit(1);
        }
        sh->cells[owner] = clipped;
    }
    for (long i = 0; i < n; i++) {
        if (!sh->cells[i]) {
            fprintf(stderr, PROG ": GEOS: no Voronoi cell for district %ld\n", i + 1);
            exit(1);
        }
    }
    GEOSPreparedGeom_destroy_r(g, prep);
    GEOSGeom_destroy_r(g, diagram);
    GEOSGeom_destroy_r(g, extent);
}

static OGRGeometryH ring_polygon(int np, const double *xs, const double *ys) {
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    OGR_G_SetPoints(ring, np, xs, sizeof(double), ys, sizeof(double), NULL, 0);
    OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
    OGR_G_AddGeometryDirectly(poly, ring);
    return poly;
}

/* Polygon of district idx (exterior ring counter-clockwise, closed). */
static OGRGeometryH district_polygon(const shapes *sh, long idx) {
    const city *ct = sh->ct;
    long c, r;
    cell_of(ct, idx, &c, &r);
    double xs[8], ys[8];
    if (ct->shape == SHAPE_GRID || ct->shape == SHAPE_SQUARES) {
        grid_vertex(ct, c, r, &xs[0], &ys[0]);
        grid_vertex(ct, c + 1, r, &xs[1], &ys[1]);
        grid_vertex(ct, c + 1, r + 1, &xs[2], &ys[2]);
        grid_vertex(ct, c, r + 1, &xs[3], &ys[3]);
        xs[4] = xs[0];
        ys[4] = ys[0];
        return ring_polygon(5, xs, ys);
    }
    if (ct->shape == SHAPE_HEX) {
        long kx = 2 * c + 1 + (r & 1), my = 3 * r + 2;
        static const int dk[6] = {0, 1, 1, 0, -1, -1};
        static const int dm[6] = {-2, -1, 1, 2, 1, -1};
        for (int k = 0; k < 6; k++) hex_vertex(ct, kx + dk[k], my + dm[k], &xs[k], &ys[k]);
        xs[6] = xs[0];
        ys[6] = ys[0];
        return ring_polygon(7, xs, ys);
    }
    /* Voronoi: copy the exterior ring of the GEOS cell. */
    GEOSContextHandle_t g = sh->geos;
    const GEOSGeometry *ext = GEOSGetExteriorRing_r(g, sh->cells[idx]);
    const GEOSCoordSequence *cs = ext ? GEOSGeom_getCoordSeq_r(g, ext) : NULL;
    unsigned size = 0;
    char ccw = 1;
    if (!cs || !GEOSCoordSeq_getSize_r(g, cs, &size) || size < 4 ||
        !GEOSCoordSeq_isCCW_r(g, cs, &ccw)) {
        fprintf(stderr, PROG ": GEOS: bad Voronoi cell for district %ld\n", idx + 1);
        exit(1);
    }
    double *vx = xcalloc(size, sizeof *vx), *vy = xcalloc(size, sizeof *vy);
    for (unsigned k = 0; k < size; k++) {
        unsigned src = ccw ? k : size - 1 - k;
        GEOSCoordSeq_getXY_r(g, cs, src, &vx[k], &vy[k]);
    }
    OGRGeometryH poly = ring_polygon((int)size, vx, vy);
    free(vx);
    free(vy);
    return poly;
}

/* One districts output: a Shapefile or a GeoPackage layer. */
typedef struct {
    char *path;
    GDALDatasetH ds;
    OGRLayerH lyr;
    txn t;
} district_sink;

static void open_district_sink(district_sink *k, const char *dir, out_format fmt,
                               OGRSpatialReferenceH srs) {
    memset(k, 0, sizeof *k);
    if (fmt == FORMAT_SHP) {
        k->path = join_path(dir, "districts.shp");
        static const char *const ext[] = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix",
                                          ".sbn", ".sbx"};
        for (size_t e = 0; e < sizeof ext / sizeof ext[0]; e++) {
            char *p = join_path(dir, "districts");
            size_t len = strlen(p) + 8;
            char *q = xcalloc(len, 1);
            snprintf(q, len, "%s%s", p, ext[e]);
            remove_file(q);
            free(q);
            free(p);
        }
        GDALDriverH drv = GDALGetDriverByName("ESRI Shapefile");
        if (!drv) io_error(k->path, "ESRI Shapefile driver not available");
        k->ds = GDALCreate(drv, k->path, 0, 0, 0, GDT_Unknown, NULL);
        if (!k->ds) io_error(k->path, "cannot create");
        char **lco = NULL;
        lco = CSLSetNameValue(lco, "ENCODING", "UTF-8");
        lco = CSLSetNameValue(lco, "DBF_DATE_LAST_UPDATE", FIXED_DBF_DATE);
        lco = CSLSetNameValue(lco, "SPATIAL_INDEX", "NO");
        k->lyr = GDALDatasetCreateLayer(k->ds, "districts", srs, wkbPolygon, lco);
        CSLDestroy(lco);
    } else {
        k->path = join_path(dir, "districts.gpkg");
        k->ds = create_gpkg(k->path);
        k->lyr = GDALDatasetCreateLayer(k->ds, "districts", srs, wkbPolygon, NULL);
        k->t.use = 1;
    }
    if (!k->lyr) io_error(k->path, "cannot create layer districts");
    k->t.ds = k->ds;
    k->t.path = k->path;
}

/* Writes the districts in each format of fmts[0..nfmt) (identical features in each). */
static void write_districts(const city *ct, shapes *sh, const char *dir, const out_format *fmts,
                            int nfmt, OGRSpatialReferenceH srs) {
    district_sink sink[2];
    for (int s = 0; s < nfmt; s++) {
        district_sink *k = &sink[s];
        open_district_sink(k, dir, fmts[s], srs);
        add_field(k->lyr, k->path, "code", OFTString, ct->code_width);
        add_field(k->lyr, k->path, "name", OFTString, 40);
        add_field(k->lyr, k->path, "borough", OFTString, 4);
        txn_begin(&k->t);
    }

    long counters[6] = {0, 0, 0, 0, 0, 0};
    char code[32], name[96], borough[32];
    for (long i = 0; i < ct->n; i++) {
        long b = borough_of(ct, i);
        snprintf(code, sizeof code, "%0*ld", ct->code_width, i + 1);
        snprintf(borough, sizeof borough, "B%ld", b + 1);
        if (i == ct->zero_idx) {
            snprintf(name, sizeof name, "%s Industriegebiet", borough_names[b]);
        } else {
            snprintf(name, sizeof name, "%s %ld", borough_names[b], ++counters[b]);
        }
        OGRGeometryH poly = district_polygon(sh, i);
        for (int s = 0; s < nfmt; s++) {
            district_sink *k = &sink[s];
            OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(k->lyr));
            OGR_F_SetFieldString(f, 0, code);
            OGR_F_SetFieldString(f, 1, name);
            OGR_F_SetFieldString(f, 2, borough);
            if (s + 1 < nfmt) OGR_F_SetGeometry(f, poly); /* copies */
            else OGR_F_SetGeometryDirectly(f, poly);
            if (OGR_L_CreateFeature(k->lyr, f) != OGRERR_NONE) io_error(k->path, "cannot write feature");
            OGR_F_Destroy(f);
            txn_tick(&k->t);
        }
        if (sh->cells) {
            GEOSGeom_destroy_r(sh->geos, sh->cells[i]);
            sh->cells[i] = NULL;
        }
    }
    for (int s = 0; s < nfmt; s++) {
        txn_commit(&sink[s].t);
        close_dataset(sink[s].ds, sink[s].path);
        free(sink[s].path);
    }
}

/* ------------------------------------------------------------------ */
/* Services and social housing.                                        */

/* Cumulative weights for weighted sampling of districts. */
static double *cumulate(const city *ct, int kind) {
    double *cum = xcalloc((size_t)ct->n, sizeof *cum);
    double acc = 0.0;
    for (long i = 0; i < ct->n; i++) {
        double s = ct->share[i], w;
        /* services: fewer per capita where migrant shares are high */
        double access = 1.0 - 1.7 * s;
        if (access < 0.06) access = 0.06;
        if (kind == 0) w = (double)ct->total[i] * access;     /* population services */
        else if (kind == 1) w = (i == ct->zero_idx) ? 0.0 : access; /* parks */
        else w = (double)ct->total[i] * (0.04 + 2.0 * s * s); /* social housing */
        acc += w;
        cum[i] = acc;
    }
    if (!(acc > 0.0)) { /* degenerate (e.g. N=1 tiny city): uniform */
        for (long i = 0; i < ct->n; i++) cum[i] = (double)(i + 1);
    }
    return cum;
}

static long sample_district(const city *ct, const double *cum, uint64_t *st) {
    double u = rng_uniform(st) * cum[ct->n - 1];
    long lo = 0, hi = ct->n - 1;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (cum[mid] > u) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

typedef struct {
    const char *layer;
    const char *value_field;
    const char *prefix;
    double frac;
    int lo, hi;
    int weights; /* 0 population, 1 parks, 2 housing */
} point_kind;

static const point_kind service_kinds[4] = {
    {"school", "capacity", "Grundschule", 0.35, 300, 900, 0},
    {"library", "capacity", "Stadtteilbibliothek", 0.15, 50, 300, 0},
    {"health_centre", "capacity", "Gesundheitszentrum", 0.30, 5, 30, 0},
    {"park", "capacity", "Park", 0.20, 1, 40, 1},
};

static const point_kind housing_kind = {"social_housing", "units", "Wohnanlage", 1.0, 20, 400, 2};

static void write_points(const city *ct, GDALDatasetH ds, txn *t, const char *path,
                         OGRSpatialReferenceH dst, OGRCoordinateTransformationH ctr,
                         const point_kind *pk, long count, const double *cum, uint64_t stream,
                         uint64_t sub) {
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, pk->layer, dst, wkbPoint, NULL);
    if (!lyr) io_error(path, "cannot create layer");
    add_field(lyr, path, "name", OFTString, 80);
    add_field(lyr, path, pk->value_field, OFTInteger, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);

    const long chunk = 65536;
    double *xs = xcalloc((size_t)chunk, sizeof *xs), *ys = xcalloc((size_t)chunk, sizeof *ys);
    long *dist = xcalloc((size_t)chunk, sizeof *dist);
    int *val = xcalloc((size_t)chunk, sizeof *val);
    uint64_t st = stream_seed(ct->seed, stream, sub);
    long serial = 0;
    char name[128];
    for (long done = 0; done < count; done += chunk) {
        long m = count - done < chunk ? count - done : chunk;
        for (long k = 0; k < m; k++) {
            long d = sample_district(ct, cum, &st);
            double ax, ay, half;
            district_anchor(ct, d, &ax, &ay, &half);
            xs[k] = ax + (2.0 * rng_uniform(&st) - 1.0) * half;
            ys[k] = ay + (2.0 * rng_uniform(&st) - 1.0) * half;
            double u = rng_uniform(&st);
            if (pk->weights == 2) u = u * sqrt(u); /* many small estates, a few large */
            val[k] = pk->lo + (int)floor(u * (double)(pk->hi - pk->lo + 1));
            if (val[k] > pk->hi) val[k] = pk->hi;
            dist[k] = d;
        }
        if (!OCTTransform(ctr, (int)m, xs, ys, NULL)) io_error(path, "coordinate transformation failed");
        for (long k = 0; k < m; k++) {
            long b = borough_of(ct, dist[k]);
            serial++;
            if (pk->weights == 1)
                snprintf(name, sizeof name, "%s %s-%ld", pk->prefix, borough_names[b], serial);
            else
                snprintf(name, sizeof name, "%s %s %ld", pk->prefix, borough_names[b], serial);
            OGRFeatureH f = OGR_F_Create(defn);
            OGR_F_SetFieldString(f, 0, name);
            OGR_F_SetFieldInteger(f, 1, val[k]);
            OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
            OGR_G_SetPoint_2D(pt, 0, xs[k], ys[k]);
            OGR_F_SetGeometryDirectly(f, pt);
            if (OGR_L_CreateFeature(lyr, f) != OGRERR_NONE) io_error(path, "cannot write feature");
            OGR_F_Destroy(f);
            txn_tick(t);
        }
    }
    free(xs);
    free(ys);
    free(dist);
    free(val);
}

static void write_services(const city *ct, const char *dir, long total,
                           OGRSpatialReferenceH src, OGRSpatialReferenceH dst) {
    OGRCoordinateTransformationH ctr = OCTNewCoordinateTransformation(src, dst);
    if (!ctr) {
        fprintf(stderr, PROG ": cannot create transformation EPSG:%d -> EPSG:%d: %s\n", EPSG_CITY,
                EPSG_SERVICES, CPLGetLastErrorMsg());
        exit(1);
    }
    /* split the total over the types; every type gets one if total >= 4 */
    long counts[4], assigned = 0;
    for (int k = 0; k < 4; k++) {
        counts[k] = (long)floor(service_kinds[k].frac * (double)total);
        if (total >= 4 && counts[k] == 0) counts[k] = 1;
        assigned += counts[k];
    }
    for (int k = 0; assigned < total; k = (k + 1) % 4) {
        counts[k]++;
        assigned++;
    }
    while (assigned > total) { /* only possible for tiny totals */
        for (int k = 3; k >= 0 && assigned > total; k--) {
            if (counts[k] > 1 || (total < 4 && counts[k] > 0)) {
                counts[k]--;
                assigned--;
            }
        }
    }

    double *cum_pop = cumulate(ct, 0);
    double *cum_park = cumulate(ct, 1);
    double *cum_house = cumulate(ct, 2);

    char *path = join_path(dir, "services.gpkg");
    GDALDatasetH ds = create_gpkg(path);
    txn t = {ds, path, 1, 0, 0};
    txn_begin(&t);
    for (int k = 0; k < 4; k++)
        write_points(ct, ds, &t, path, dst, ctr, &service_kinds[k], counts[k],
                     service_kinds[k].weights == 1 ? cum_park : cum_pop, STREAM_SERVICES,
                     (uint64_t)k);
    txn_commit(&t);
    close_dataset(ds, path);
    free(path);

    long nhousing = ct->n / 4 < 3 ? 3 : ct->n / 4;
    path = join_path(dir, "housing.gpkg");
    ds = create_gpkg(path);
    txn t2 = {ds, path, 1, 0, 0};
    txn_begin(&t2);
    write_points(ct, ds, &t2, path, dst, ctr, &housing_kind, nhousing, cum_house, STREAM_HOUSING, 0);
    txn_commit(&t2);
    close_dataset(ds, path);
    free(path);

    free(cum_pop);
    free(cum_park);
    free(cum_house);
    OCTDestroyCoordinateTransformation(ctr);
}

/* ------------------------------------------------------------------ */
/* Road network (--network M): streets every M metres over the city.   */

static long write_network(const city *ct, const char *dir, double spacing, OGRSpatialReferenceH srs) {
    long nx = (long)ceil(ct->width / spacing), ny = (long)ceil(ct->height / spacing);
    char *path = join_path(dir, "roads.gpkg");
    GDALDatasetH ds = create_gpkg(path);
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, "roads", srs, wkbLineString, NULL);
    if (!lyr) io_error(path, "cannot create layer roads");
    add_field(lyr, path, "speed", OFTReal, 0);
    add_field(lyr, path, "oneway", OFTString, 3);
    txn t = {ds, path, 1, 0, 0};
    txn_begin(&t);
    long written = 0;
    uint64_t link = 0;
    /* dir 0: west-east links along the streets y = y0 + j M; dir 1: south-north along x = x0 + i M */
    for (int d = 0; d < 2; d++) {
        long nlines = d == 0 ? ny + 1 : nx + 1, nlinks = d == 0 ? nx : ny;
        for (long a = 0; a < nlines; a++)
            for (long b = 0; b < nlinks; b++, link++) {
                if (hash_uniform(ct->seed, STREAM_NETWORK, 2 * link) < 0.05) continue; /* removed */
                double fixed = (d == 0 ? ct->y0 : ct->x0) + (double)a * spacing;
                double p0 = (d == 0 ? ct->x0 : ct->y0) + (double)b * spacing, p1 = p0 + spacing;
                OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
                if (d == 0) {
                    OGR_G_AddPoint_2D(g, p0, fixed);
                    OGR_G_AddPoint_2D(g, p1, fixed);
                } else {
                    OGR_G_AddPoint_2D(g, fixed, p0);
                    OGR_G_AddPoint_2D(g, fixed, p1);
                }
                OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
                OGR_F_SetFieldDouble(f, 0, a % 4 == 0 ? 50.0 : 30.0);
                OGR_F_SetFieldString(f, 1, hash_uniform(ct->seed, STREAM_NETWORK, 2 * link + 1) < 0.05 ? "yes" : "no");
                OGR_F_SetGeometryDirectly(f, g);
                if (OGR_L_CreateFeature(lyr, f) != OGRERR_NONE) io_error(path, "cannot write a road");
                OGR_F_Destroy(f);
                written++;
                txn_tick(&t);
            }
    }
    txn_commit(&t);
    close_dataset(ds, path);
    free(path);
    return written;
}

/* ------------------------------------------------------------------ */

static void ensure_dir(const char *dir) {
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) {
            fprintf(stderr, PROG ": %s: not a directory\n", dir);
            exit(1);
        }
        return;
    }
    if (mkdir(dir, 0777) != 0) io_errno(dir, "cannot create directory");
}

int main(int argc, char **argv) {
    options o;
    parse_args(argc, argv, &o);

    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLSetConfigOption("OGR_CURRENT_DATE", FIXED_OGR_DATE);
    ensure_dir(o.out);

    city ct;
    init_city(&ct, &o);
    make_census(&ct);

    OGRSpatialReferenceH srs_city = make_srs(EPSG_CITY);
    OGRSpatialReferenceH srs_laea = make_srs(EPSG_SERVICES);

    shapes sh;
    memset(&sh, 0, sizeof sh);
    sh.ct = &ct;
    if (ct.shape == SHAPE_VORONOI) {
        sh.geos = GEOS_init_r();
        GEOSContext_setErrorMessageHandler_r(sh.geos, geos_error, NULL);
        build_voronoi(&sh);
    }
    if (o.format == FORMAT_BOTH) {
        static const out_format both[2] = {FORMAT_SHP, FORMAT_GPKG};
        write_districts(&ct, &sh, o.out, both, 2, srs_city);
    } else {
        write_districts(&ct, &sh, o.out, &o.format, 1, srs_city);
    }
    if (sh.geos) {
        free(sh.cells);
        GEOS_finish_r(sh.geos);
    }
    write_census(&ct, o.out);

    long nserv = o.services >= 0 ? o.services : (ct.n / 3 < 4 ? 4 : ct.n / 3);
    write_services(&ct, o.out, nserv, srs_city, srs_laea);
    long nroads = o.network > 0 ? write_network(&ct, o.out, o.network, srs_city) : 0;

    OSRDestroySpatialReference(srs_city);
    OSRDestroySpatialReference(srs_laea);
    free(ct.total);
    free(ct.migrants);
    free(ct.overcrowd_milli);
    free(ct.share);
    CPLPopErrorHandler();
    GDALDestroyDriverManager();
    OSRCleanup();

    printf("%s: %ld districts (%ld x %ld%s, %s), %ld services, %ld housing sites in %s\n", PROG,
           ct.n, ct.cols, ct.rows, ct.trimmed ? ", top row trimmed" : "",
           ct.shape == SHAPE_GRID ? "grid" : ct.shape == SHAPE_SQUARES ? "squares" : ct.shape == SHAPE_HEX ? "hex" : "voronoi", nserv,
           ct.n / 4 < 3 ? 3L : ct.n / 4, o.out);
    if (nroads) printf("%s: roads.gpkg: %ld street links every %g m\n", PROG, nroads, o.network);
    return 0;
}
