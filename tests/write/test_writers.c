/* The output writers (issue 8): the GeoJSON layers reprojected once by
 * seggap are the same, to the bit, as the GeoJSON driver's own RFC 7946
 * reprojection; the layers written on 2 threads are the same files as on 1;
 * report.html draws a large city on a grid of cells; every writer goes
 * through sg__output_write / sg__output_finish; --out-pg copies the layers
 * into a data source. */
#include "test_support.h"

#include <cpl_string.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "write/write.h"

typedef sg_test_fixture fixture;

static char *slurp(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, fp);
    fclose(fp);
    b[got] = '\0';
    if (len) *len = got;
    return b;
}

static void assert_same_file(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    assert_non_null(x);
    assert_non_null(y);
    if (na != nb || memcmp(x, y, na) != 0) fail_msg("%s and %s differ", a, b);
    free(x);
    free(y);
}

static size_t count_str(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* A grid of nx x ny 100 m squares in UTM 32N (EPSG:25832), one with a hole
 * and one a MultiPolygon of two squares; group counts vary. */
static void write_city(const char *path, int nx, int ny) {
    size_t n = (size_t)nx * (size_t)ny;
    fx_row *rows = calloc(n, sizeof *rows);
    char **texts = calloc(4 * n, sizeof *texts);
    for (int r = 0; r < ny; r++)
        for (int c = 0; c < nx; c++) {
            size_t i = (size_t)r * (size_t)nx + (size_t)c;
            double x = 500000 + 100.0 * c + 0.125 * (r % 7), y = 5800000 + 100.0 * r + 0.375 * (c % 5);
            char *w = malloc(512);
            if (i == 1)
                snprintf(w, 512,
                         "POLYGON((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f),"
                         "(%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f))",
                         x, y, x + 100, y, x + 100, y + 100, x, y + 100, x, y, x + 20, y + 20, x + 20, y + 60, x + 60,
                         y + 60, x + 20, y + 20);
            else if (i == 2)
                snprintf(w, 512,
                         "MULTIPOLYGON(((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f)),"
                         "((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f)))",
                         x, y, x + 40, y, x + 40, y + 100, x, y + 100, x, y, x + 60, y, x + 100, y, x + 100, y + 100,
                         x + 60, y);
            else
                snprintf(w, 512, "POLYGON((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f))", x, y, x + 100, y,
                         x + 100, y + 100, x, y + 100, x, y);
            char *id = malloc(32), *t = malloc(32), *g = malloc(32);
            snprintf(id, 32, "d%zu", i);
            snprintf(t, 32, "%d", 100 + (int)(i % 13));
            snprintf(g, 32, "%d", (int)((i * 7919) % 61) + (c < nx / 3 ? 30 : 0));
            rows[i] = (fx_row){w, id, t, g};
            texts[4 * i] = w;
            texts[4 * i + 1] = id;
            texts[4 * i + 2] = t;
            texts[4 * i + 3] = g;
        }
    fx_write(path, "GPKG", 25832, rows, n, 1);
    for (size_t k = 0; k < 4 * n; k++) free(texts[k]);
    free(texts);
    free(rows);
}

static void analyze(fixture *f, const char *districts, const char *out, const char *threads) {
    const char *args[] = {"--districts", districts, "--id", "id", "--total", "total", "--group", "group",
                          "--out", out, "--quiet", "--threads", threads, "--layers", "all", NULL};
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(f->ctx, &run, args);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_run_destroy(run);
}

/* The driver's own reprojection of the same polygons (RFC7946=YES on a
 * layer in the source CRS), the way seggap wrote districts.geojson before. */
static void driver_reference(const char *src, const char *dst) {
    GDALDatasetH in = GDALOpenEx(src, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(in);
    OGRLayerH il = GDALDatasetGetLayer(in, 0);
    GDALDatasetH out = GDALCreate(GDALGetDriverByName("GeoJSON"), dst, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(out);
    char **lco = CSLSetNameValue(NULL, "RFC7946", "YES");
    OGRLayerH ol = GDALDatasetCreateLayer(out, "ref", OGR_L_GetSpatialRef(il), wkbUnknown, lco);
    CSLDestroy(lco);
    assert_non_null(ol);
    OGRFeatureH g;
    OGR_L_ResetReading(il);
    while ((g = OGR_L_GetNextFeature(il)) != NULL) {
        OGRFeatureH h = OGR_F_Create(OGR_L_GetLayerDefn(ol));
        OGR_F_SetGeometry(h, OGR_F_GetGeometryRef(g));
        assert_int_equal(OGR_L_CreateFeature(ol, h), OGRERR_NONE);
        OGR_F_Destroy(h);
        OGR_F_Destroy(g);
    }
    GDALClose(out);
    GDALClose(in);
}

/* Geometries of a GeoJSON file as WKB, in order. */
static unsigned char **wkbs(const char *path, size_t *n, int **sizes) {
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    size_t cap = (size_t)OGR_L_GetFeatureCount(l, 1) + 1, k = 0;
    unsigned char **out = calloc(cap, sizeof *out);
    *sizes = calloc(cap, sizeof **sizes);
    OGRFeatureH f;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l)) != NULL && k < cap) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        assert_non_null(g);
        (*sizes)[k] = OGR_G_WkbSize(g);
        out[k] = malloc((size_t)(*sizes)[k]);
        OGR_G_ExportToWkb(g, wkbNDR, out[k]);
        k++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    *n = k;
    return out;
}

static void same_as_driver_on_any_thread_count(void **state) {
    fixture *f = *state;
    char *src = sg_test_path(f->dir, "city.gpkg"), *o1 = sg_test_path(f->dir, "t1"), *o2 = sg_test_path(f->dir, "t2");
    char *ref = sg_test_path(f->dir, "ref.geojson");
    write_city(src, 30, 20);
    analyze(f, src, o1, "1");
    analyze(f, src, o2, "2");
    static const char *const layers[] = {"districts.geojson", "objective5.geojson", "objective10.geojson",
                                         "districts.qml", "seggap.qgs"};
    for (size_t k = 0; k < sizeof layers / sizeof layers[0]; k++) {
        char *a = sg_test_path(o1, layers[k]), *b = sg_test_path(o2, layers[k]);
        assert_same_file(a, b);
        free(a);
        free(b);
    }
    /* the coordinates are the driver's own, to the bit */
    driver_reference(src, ref);
    char *dj = sg_test_path(o1, "districts.geojson");
    size_t na = 0, nb = 0;
    int *sa = NULL, *sb = NULL;
    unsigned char **a = wkbs(dj, &na, &sa), **b = wkbs(ref, &nb, &sb);
    assert_int_equal(na, 600);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(sa[i], sb[i]);
        if (memcmp(a[i], b[i], (size_t)sa[i]) != 0) fail_msg("feature %zu: coordinates differ from the driver's", i);
        free(a[i]);
        free(b[i]);
    }
    free(a);
    free(b);
    free(sa);
    free(sb);
    /* RFC 7946 as the driver writes it: no crs, no name, 7 decimals */
    char *text = slurp(dj, NULL);
    assert_null(strstr(text, "\"crs\""));
    assert_null(strstr(text, "\"name\": \"districts\""));
    assert_non_null(strstr(text, "\"type\": \"MultiPolygon\""));
    /* a small city: one path per district in the report, with its tooltip */
    char *rp = sg_test_path(o1, "report.html");
    char *html = slurp(rp, NULL);
    assert_true(count_str(html, "<title>") > 600); /* the objective 5 map (objective 10 is not assessed) */
    assert_null(strstr(html, "too many to draw one by one"));
    free(html);
    free(rp);
    free(text);
    free(dj);
    free(src);
    free(o1);
    free(o2);
    free(ref);
}

/* Above SG_REPORT_MAP_MAX (20,000) districts the maps are grids of cells. */
static void report_grid_map_for_a_large_city(void **state) {
    fixture *f = *state;
    char *src = sg_test_path(f->dir, "big.gpkg"), *out = sg_test_path(f->dir, "big");
    write_city(src, 160, 126); /* 20,160 districts */
    analyze(f, src, out, "2");
    char *rp = sg_test_path(out, "report.html");
    size_t len = 0;
    char *html = slurp(rp, &len);
    assert_non_null(html);
    assert_non_null(strstr(html, "The city has 20160 districts, too many to draw one by one"));
    assert_non_null(strstr(html, "shape-rendering=\"crispEdges\""));
    assert_int_equal(count_str(html, "<title>"), 1); /* the page's own title: no tooltip per district */
    assert_true(len < 2 * 1024 * 1024);
    /* the layers keep every district */
    char *dj = sg_test_path(out, "objective5.geojson");
    GDALDatasetH ds = GDALOpenEx(dj, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds, 0), 1), 20160);
    GDALClose(ds);
    free(dj);
    free(html);
    free(rp);
    free(src);
    free(out);
}

/* Issue 15 item 4: districts left out for want of data put a warning banner
 * at the top of report.html, and "In brief" says of how many districts it
 * speaks; a city without such districts has neither. */
static void report_warns_when_districts_are_left_out(void **state) {
    fixture *f = *state;
    char *src = sg_test_path(f->dir, "gaps.gpkg"), *out = sg_test_path(f->dir, "gaps");
    fx_row rows[10];
    char *sq[10], ids[10][8], tot[10][8], grp[10][8];
    for (int i = 0; i < 10; i++) {
        sq[i] = fx_square(i % 5, i / 5);
        snprintf(ids[i], sizeof ids[i], "%02d", i);
        snprintf(tot[i], sizeof tot[i], "%d", 100 + 10 * i);
        snprintf(grp[i], sizeof grp[i], "%d", 5 + 3 * i);
        rows[i] = (fx_row){sq[i], ids[i], tot[i], i == 3 || i == 7 ? NULL : grp[i]};
    }
    fx_write(src, "GPKG", 4326, rows, 10, 1);
    const char *args[] = {"--districts", src, "--id", "id", "--total", "total", "--group", "group", "--out", out,
                          "--quiet", "--min-joined", "0.5", NULL};
    sg_run *run = NULL;
    if (sg_test_analyze(f->ctx, &run, args) != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_run_destroy(run);
    char *rp = sg_test_path(out, "report.html");
    char *html = slurp(rp, NULL);
    assert_non_null(html);
    const char *banner = strstr(html, "Warning: 2 of 10 districts were left out");
    assert_non_null(banner);
    assert_true(banner < strstr(html, "In brief")); /* at the top */
    assert_non_null(strstr(html, "residents in 8 of the 10 districts used (2 have no data)"));
    free(html);
    /* all with data: no banner */
    rows[3].group = grp[3];
    rows[7].group = grp[7];
    fx_write(src, "GPKG", 4326, rows, 10, 1);
    run = NULL;
    if (sg_test_analyze(f->ctx, &run, args) != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_run_destroy(run);
    html = slurp(rp, NULL);
    assert_null(strstr(html, "were left out"));
    assert_non_null(strstr(html, "residents in 10 districts used"));
    free(html);
    for (int i = 0; i < 10; i++) free(sq[i]);
    free(rp);
    free(src);
    free(out);
}

/* Decimals of the numbers in s (up to the end of the text), all the same:
 * the count of a legend entry "(12)" is not a bound and is skipped. */
static int legend_decimals(const char *s, const char *end) {
    int dec = -1;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9' || (p > s && ((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.' || p[-1] == '('))) continue;
        const char *q = p;
        while (q < end && *q >= '0' && *q <= '9') q++;
        int d = 0;
        if (q < end && *q == '.')
            for (q++; q < end && *q >= '0' && *q <= '9'; q++) d++;
        if (dec < 0) dec = d;
        else if (d != dec) return -2;
        p = q;
    }
    return dec;
}

/* Issue 17 item 6: the report's first map is the migrant share (city name
 * from --title, the source line from --source-note), the prose names no
 * option, and every graduated legend prints its bounds with one number of
 * decimals (before: "3 – 17 %" next to "17.0 – 25.0 %"). */
static void report_share_map_first_and_one_precision(void **state) {
    fixture *f = *state;
    char *src = sg_test_path(f->dir, "city.gpkg"), *out = sg_test_path(f->dir, "share");
    write_city(src, 12, 9);
    const char *args[] = {"--districts", src, "--id", "id", "--total", "total", "--group", "group", "--out", out,
                          "--quiet", "--title", "Testtown 2024", "--source-note", "Testtown statistics office, 2024",
                          NULL};
    sg_run *run = NULL;
    if (sg_test_analyze(f->ctx, &run, args) != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_run_destroy(run);
    char *rp = sg_test_path(out, "report.html");
    char *html = slurp(rp, NULL);
    assert_non_null(html);
    const char *first = strstr(html, "<figure class=\"map\">");
    assert_non_null(first);
    assert_true(strncmp(strstr(first, "aria-label=\"") + 12, "Testtown 2024: share of residents with a migration "
                        "background", 60) == 0);
    assert_true(first < strstr(html, "Objective 5: migrant concentration and access"));
    assert_non_null(strstr(html, "Source: Testtown statistics office, 2024. Map: seggap, "));
    if (strstr(html, "--")) fail_msg("report.html names an option: %.60s", strstr(html, "--") - 20);
    /* every legend entry with a range: one precision per legend */
    size_t nleg = 0;
    for (const char *g = strstr(html, "aria-label=\"legend\""); g; g = strstr(g + 1, "aria-label=\"legend\"")) {
        const char *gend = strstr(g, "</g>");
        int dec = -1;
        for (const char *tx = strstr(g, "<text x=\"54\""); tx && tx < gend; tx = strstr(tx + 1, "<text x=\"54\"")) {
            const char *a = strchr(tx, '>') + 1, *b = strstr(a, "</text>");
            if (!strstr(a, "\xE2\x80\x93") || strstr(a, "\xE2\x80\x93") > b) continue; /* a class, not a range */
            int d = legend_decimals(a, b);
            if (d == -2 || (dec >= 0 && d != dec)) fail_msg("legend mixes precisions: %.*s", (int)(b - a), a);
            dec = d;
            nleg++;
        }
    }
    assert_true(nleg >= 3); /* the share map's classes */
    free(html);
    free(rp);
    /* the same rule in the styles (districts.qml labels) */
    char labels[5][SG_LABEL_MAX];
    double lo[3] = {0.03, 0.17, 0.25}, hi[3] = {0.17, 0.25, 0.345};
    sg__range_labels(lo, hi, 3, SG_UNIT_PCT, labels);
    assert_string_equal(labels[0], "3.0 \xE2\x80\x93 17.0 %");
    assert_string_equal(labels[2], "25.0 \xE2\x80\x93 34.5 %");
    double mlo[2] = {0, 1500}, mhi[2] = {1500, 2500};
    sg__range_labels(mlo, mhi, 2, SG_UNIT_M, labels);
    assert_string_equal(labels[1], "1.5 \xE2\x80\x93 2.5 km");
    free(src);
    free(out);
}

static xmlXPathObjectPtr xq(xmlDocPtr doc, const char *q) {
    xmlXPathContextPtr c = xmlXPathNewContext(doc);
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST q, c);
    xmlXPathFreeContext(c);
    assert_non_null(r);
    return r;
}
static double xnum(xmlDocPtr doc, const char *q) {
    xmlXPathObjectPtr r = xq(doc, q);
    double v = r->floatval;
    xmlXPathFreeObject(r);
    return v;
}

/* Issue 17 item 7: seggap.qgs opens with the share layer visible, labels the
 * districts from a scale on, and has one A3 landscape print layout per
 * objective map with its map (on the city's extent in the project CRS),
 * title, legend, scale bar, north arrow and source line. */
static void qgis_project_has_a_layout_per_map(void **state) {
    fixture *f = *state;
    char *src = sg_test_path(f->dir, "city.gpkg"), *out = sg_test_path(f->dir, "qgs");
    write_city(src, 12, 9);
    const char *args[] = {"--districts", src, "--id", "id", "--total", "total", "--group", "group", "--out", out,
                          "--quiet", "--source-note", "Testtown statistics office", NULL};
    sg_run *run = NULL;
    if (sg_test_analyze(f->ctx, &run, args) != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_run_destroy(run);
    char *pp = sg_test_path(out, "seggap.qgs");
    xmlDocPtr doc = xmlReadFile(pp, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    sg_assert_near(xnum(doc, "count(/qgis/layer-tree-group/layer-tree-layer[@id='seggap_districts' and "
                             "@checked='Qt::Checked'])"), 1, 0);
    sg_assert_near(xnum(doc, "count(/qgis/projectlayers/maplayer[id='seggap_districts']/labeling/settings/"
                             "rendering[@scaleVisibility='1' and @scaleMax > 0])"), 1, 0);
    /* objective 10 not assessed: the share and objective 5 */
    sg_assert_near(xnum(doc, "count(/qgis/Layouts/Layout)"), 2, 0);
    sg_assert_near(xnum(doc, "count(/qgis/Layouts/Layout[@name='Migrant share'])"), 1, 0);
    sg_assert_near(xnum(doc, "count(/qgis/Layouts/Layout[@name='Objective 5'])"), 1, 0);
    static const int types[] = {65639 /* map */, 65642 /* legend */, 65646 /* scale bar */, 65640 /* picture */};
    for (int l = 1; l <= 2; l++) {
        char q[256];
        snprintf(q, sizeof q, "count(/qgis/Layouts/Layout[%d]/PageCollection/LayoutItem[@size='420,297,mm'])", l);
        sg_assert_near(xnum(doc, q), 1, 0); /* A3 landscape */
        for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
            snprintf(q, sizeof q, "count(/qgis/Layouts/Layout[%d]/LayoutItem[@type='%d'])", l, types[k]);
            sg_assert_near(xnum(doc, q), 1, 0);
        }
        snprintf(q, sizeof q, "count(/qgis/Layouts/Layout[%d]/LayoutItem[@type='65641'])", l); /* title, source */
        sg_assert_near(xnum(doc, q), 2, 0);
        snprintf(q, sizeof q, "count(/qgis/Layouts/Layout[%d]/LayoutItem[@type='65641' and "
                              "starts-with(@labelText, 'Source: Testtown statistics office. Map: seggap, [%%')])", l);
        sg_assert_near(xnum(doc, q), 1, 0);
        /* the map's extent holds the city (EPSG:25832, x 500000-501200, y 5800000-5800900) */
        snprintf(q, sizeof q, "/qgis/Layouts/Layout[%d]/LayoutItem[@type='65639']/Extent", l);
        xmlXPathObjectPtr e = xq(doc, q);
        assert_int_equal(xmlXPathNodeSetGetLength(e->nodesetval), 1);
        xmlNodePtr en = e->nodesetval->nodeTab[0];
        double b[4];
        const char *nm[4] = {"xmin", "ymin", "xmax", "ymax"};
        for (int k = 0; k < 4; k++) {
            xmlChar *v = xmlGetProp(en, BAD_CAST nm[k]);
            b[k] = atof((const char *)v);
            xmlFree(v);
        }
        xmlXPathFreeObject(e);
        assert_true(b[0] <= 500000 && b[0] > 499000 && b[2] >= 501200 && b[2] < 502500);
        assert_true(b[1] <= 5800000 && b[1] > 5799000 && b[3] >= 5800900 && b[3] < 5802000);
    }
    /* the legend shows the map's layer alone */
    sg_assert_near(xnum(doc, "count(/qgis/Layouts/Layout[@name='Migrant share']/LayoutItem[@type='65642']/"
                             "layer-tree-group/layer-tree-layer[@id='seggap_districts'])"), 1, 0);
    /* objective 5's long class labels (the rule and p adjustment of the concentrated classes) are
     * wrapped in the layout's legend: QGIS 3.22 does not wrap by width, and they ran past the page */
    const char *leg = "/qgis/Layouts/Layout[@name='Objective 5']/LayoutItem[@type='65642']";
    char q[400];
    snprintf(q, sizeof q, "count(%s[@wrapChar='|'])", leg);
    sg_assert_near(xnum(doc, q), 1, 0);
    snprintf(q, sizeof q, "%s/layer-tree-group/layer-tree-layer/customproperties/property[@key='legend/label-0']", leg);
    xmlXPathContextPtr xc = xmlXPathNewContext(doc);
    xmlXPathObjectPtr e = xmlXPathEvalExpression(BAD_CAST q, xc);
    assert_true(e && e->nodesetval && e->nodesetval->nodeNr == 1);
    xmlChar *lab = xmlGetProp(e->nodesetval->nodeTab[0], BAD_CAST "value");
    assert_non_null(lab);
    assert_non_null(strchr((const char *)lab, '|'));
    size_t chars = 0, lines = 1;
    for (const unsigned char *c = lab; *c; c++) {
        if ((*c & 0xC0) == 0x80) continue; /* UTF-8 continuation byte */
        if (*c == '|') {
            assert_true(chars <= 52);
            chars = 0;
            lines++;
        } else {
            chars++;
        }
    }
    assert_true(chars <= 52 && lines >= 3);
    xmlFree(lab);
    xmlXPathFreeObject(e);
    xmlXPathFreeContext(xc);
    xmlFreeDoc(doc);
    free(pp);
    free(src);
    free(out);
}

/* sg__output_write: in place with its content, no temporary file left;
 * an unwritable place fails with E_OUTPUT and leaves nothing. */
static void output_write_is_atomic(void **state) {
    fixture *f = *state;
    char *p = sg_test_path(f->dir, "a.txt");
    assert_int_equal(sg__output_write(f->ctx, p, "hello\n", 6), SG_OK);
    size_t n = 0;
    char *t = slurp(p, &n);
    assert_int_equal(n, 6);
    assert_string_equal(t, "hello\n");
    free(t);
    char *bad = sg_test_path(f->dir, "no/such/dir/b.txt");
    assert_int_equal(sg__output_write(f->ctx, bad, "x", 1), SG_ERR_OUTPUT);
    sg_output o;
    assert_int_equal(sg__output_begin(f->ctx, p, &o), SG_OK);
    FILE *fp = fopen(o.tmp, "wb");
    fputs("partial", fp);
    fclose(fp);
    o.expect_size = 100; /* a short file is an incomplete one */
    assert_int_equal(sg__output_finish(f->ctx, &o, SG_OK), SG_ERR_OUTPUT);
    t = slurp(p, NULL);
    assert_string_equal(t, "hello\n"); /* the previous file stays */
    free(t);
    char *tmp = sg__tmp_path(p);
    assert_false(sg_test_exists(tmp));
    free(tmp);
    free(bad);
    free(p);
}

/* --out-pg writes the run's layers into any writable OGR data source in one
 * transaction (pg.c): into a GeoPackage here, so that no PostgreSQL is
 * needed (pg_check does PostGIS itself). Every layer of summary.json's
 * outputs becomes a table PREFIX<key> of MultiPolygons with every row; a
 * source that cannot be opened is E_OUTPUT_PG, its password redacted. */
static void out_pg_into_any_data_source(void **state) {
    fixture *f = *state;
    char *src = sg_test_path(f->dir, "city.gpkg"), *out = sg_test_path(f->dir, "out"),
         *db = sg_test_path(f->dir, "db.gpkg");
    write_city(src, 4, 3); /* 12 districts */
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), db, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    GDALClose(ds);
    const char *args[] = {"--districts", src, "--id", "id", "--total", "total", "--group", "group", "--out", out,
                          "--quiet", "--out-pg", db, "--out-pg-prefix", "t_", NULL};
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(f->ctx, &run, args);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    char want[600];
    snprintf(want, sizeof want, "wrote PG    %s: ", db);
    const char *text = sg_run_summary_text(run);
    const char *line = strstr(text, want);
    if (!line) fail_msg("no \"%s\" in the summary:\n%s", want, text);
    assert_non_null(strstr(line, "t_districts (12 rows)"));
    assert_non_null(strstr(line, "t_objective5 (12 rows)"));
    sg_run_destroy(run);
    ds = GDALOpenEx(db, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "t_districts");
    assert_non_null(l);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), 12);
    assert_int_equal(wkbFlatten(OGR_L_GetGeomType(l)), wkbMultiPolygon);
    assert_string_equal(OGR_L_GetGeometryColumn(l), "geom");
    assert_true(OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), "id") >= 0);
    assert_non_null(GDALDatasetGetLayerByName(ds, "t_objective5"));
    assert_null(GDALDatasetGetLayerByName(ds, "t_summary"));
    GDALClose(ds);

    /* a connection that fails: an output error, no password in it */
    const char *bad[] = {"--districts", src, "--id", "id", "--total", "total", "--group", "group", "--out", out,
                         "--quiet", "--out-pg", "PG:dbname=nosuch host=/nonexistent password=hunter2", NULL};
    assert_int_equal(sg_test_analyze(f->ctx, &run, bad), SG_ERR_OUTPUT);
    assert_null(run);
    assert_diag(f->ctx, "E_OUTPUT_PG", "PG:dbname=nosuch host=/nonexistent password=***", "cannot open for writing");
    for (size_t i = 0; i < sg_ctx_diag_count(f->ctx); i++)
        assert_null(strstr(sg_ctx_diag(f->ctx, i)->message, "hunter2"));
    free(src);
    free(out);
    free(db);
}

/* --format gpkg and shp (format.c): the objective layers again, in the
 * working CRS, with the same features and values as the GeoJSON layers (ids
 * in order, gap5_class per id); the GeoPackage carries the styles, the
 * Shapefiles a .qml each and fields.csv mapping the short names. */
/* Counts are integer fields (issue 17): total and group are integers
 * (OFTInteger64 as written; GDAL reads a GeoJSON integer that fits 32 bits
 * as OFTInteger), the share stays OFTReal. */
static int is_int_type(OGRFieldType t) {
    return t == OFTInteger || t == OFTInteger64;
}
static void assert_count_types(OGRLayerH l) {
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int it = OGR_FD_GetFieldIndex(d, "total"), ig = OGR_FD_GetFieldIndex(d, "group"), is = OGR_FD_GetFieldIndex(d, "share");
    assert_true(it >= 0 && ig >= 0 && is >= 0);
    assert_true(is_int_type(OGR_Fld_GetType(OGR_FD_GetFieldDefn(d, it))));
    assert_true(is_int_type(OGR_Fld_GetType(OGR_FD_GetFieldDefn(d, ig))));
    assert_int_equal(OGR_Fld_GetType(OGR_FD_GetFieldDefn(d, is)), OFTReal);
}

static void count_kind_is_integer_only_for_whole_numbers(void **state) {
    (void)state;
    const double whole[] = {3114, 0, NAN, 1747}, frac[] = {3114, 12.5};
    assert_int_equal(sg__count_kind(whole, 4), SG_LF_INT);
    assert_int_equal(sg__count_kind(frac, 2), SG_LF_REAL);
    assert_int_equal(sg__count_kind(NULL, 0), SG_LF_INT);
}

static void format_copies_match_the_geojson(void **state) {
    fixture *f = *state;
    char *src = sg_test_path(f->dir, "city.gpkg"), *out = sg_test_path(f->dir, "out");
    write_city(src, 5, 4); /* 20 districts */
    for (int shp = 0; shp < 2; shp++) {
        const char *args[] = {"--districts", src, "--id", "id", "--total", "total", "--group", "group", "--out", out,
                              "--quiet", "--format", shp ? "shp" : "gpkg", NULL};
        sg_run *run = NULL;
        sg_status st = sg_test_analyze(f->ctx, &run, args);
        if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
        sg_run_destroy(run);
        char *gj = sg_test_path(out, "objective5.geojson");
        char *copy = shp ? sg_test_path(out, "shp/objective5.shp") : sg_test_path(out, "seggap.gpkg");
        GDALDatasetH a = GDALOpenEx(gj, GDAL_OF_VECTOR, NULL, NULL, NULL), b = GDALOpenEx(copy, GDAL_OF_VECTOR, NULL, NULL, NULL);
        assert_non_null(a);
        assert_non_null(b);
        OGRLayerH la = GDALDatasetGetLayer(a, 0), lb = GDALDatasetGetLayerByName(b, "objective5");
        assert_non_null(lb);
        assert_int_equal(OGR_L_GetFeatureCount(la, 1), 20);
        assert_int_equal(OGR_L_GetFeatureCount(lb, 1), 20);
        assert_count_types(la);
        assert_count_types(lb);
        {
            char *dj = sg_test_path(out, "districts.geojson");
            GDALDatasetH dd = GDALOpenEx(dj, GDAL_OF_VECTOR, NULL, NULL, NULL);
            assert_non_null(dd);
            assert_count_types(GDALDatasetGetLayer(dd, 0));
            GDALClose(dd);
            free(dj);
        }
        /* the copy is in the working CRS (EPSG:25832 here), the GeoJSON in lon/lat */
        OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(lb);
        assert_non_null(srs);
        assert_string_equal(OSRGetAuthorityCode(srs, NULL), "25832");
        int ia = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(la), "gap5_class");
        int ib = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lb), "gap5_class"); /* 10 characters: fits a .dbf */
        assert_true(ia >= 0 && ib >= 0);
        OGR_L_ResetReading(la);
        OGR_L_ResetReading(lb);
        for (int k = 0; k < 20; k++) {
            OGRFeatureH fa = OGR_L_GetNextFeature(la), fb = OGR_L_GetNextFeature(lb);
            assert_non_null(fa);
            assert_non_null(fb);
            assert_string_equal(OGR_F_GetFieldAsString(fa, OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(la), "id")),
                                OGR_F_GetFieldAsString(fb, OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lb), "id")));
            assert_string_equal(OGR_F_GetFieldAsString(fa, ia), OGR_F_GetFieldAsString(fb, ib));
            OGR_F_Destroy(fa);
            OGR_F_Destroy(fb);
        }
        if (shp) {
            char *qml = sg_test_path(out, "shp/objective5.qml"), *fc = sg_test_path(out, "shp/fields.csv");
            assert_true(sg_test_exists(qml));
            assert_true(sg_test_exists(fc));
            free(qml);
            free(fc);
        } else {
            assert_non_null(GDALDatasetGetLayerByName(b, "layer_styles"));
        }
        GDALClose(a);
        GDALClose(b);
        free(gj);
        free(copy);
    }
    free(src);
    free(out);
}


/* Issue 17 item 1: with access standards the report leads objective 5 with
 * the shares beyond each (in words, no option names), says the rule, and the
 * legend of objective5.qml and the layer say "beyond an access standard".
 * A row of four 0.01-degree squares at 52 N (about 685 m wide), a school at
 * the centre of the first: the third and fourth are beyond 1 km. Migrants
 * 0, 0, 50, 50 of 100 each: all 100 migrants are beyond; of the 300 others
 * (100 + 100 + 50 + 50), 100. */
static void report_leads_with_standards(void **state) {
    fixture *f = *state;
    char *src = sg_test_path(f->dir, "row.gpkg"), *svc = sg_test_path(f->dir, "schools.gpkg"),
         *out = sg_test_path(f->dir, "std");
    char *sq[4];
    fx_row rows[4];
    const char *ids[] = {"a", "b", "c", "d"}, *grp[] = {"0", "0", "50", "50"};
    for (int i = 0; i < 4; i++) {
        sq[i] = fx_square(i, 0);
        rows[i] = (fx_row){sq[i], ids[i], "100", grp[i]};
    }
    fx_write(src, "GPKG", 4326, rows, 4, 1);
    const char *names[] = {"name"};
    const OGRFieldType types[] = {OFTString};
    sg_test_lrow s[] = {{"POINT (13.005 52.005)", {"Schule"}}};
    sg_test_layer_write(svc, "school", 4326, wkbPoint, names, types, 1, s, 1);
    char sarg[600];
    snprintf(sarg, sizeof sarg, "school=%s", svc);
    const char *args[] = {"--districts", src, "--id", "id", "--total", "total", "--group", "group", "--out", out,
                          "--quiet", "--service", sarg, "--standard", "school=1km", "--format", "shp", NULL};
    sg_run *run = NULL;
    if (sg_test_analyze(f->ctx, &run, args) != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_run_destroy(run);
    char *rp = sg_test_path(out, "report.html"), *qp = sg_test_path(out, "objective5.qml"),
         *fp = sg_test_path(out, "shp/fields.csv");
    char *html = slurp(rp, NULL), *qml = slurp(qp, NULL), *fields = slurp(fp, NULL);
    const char *lead = strstr(html, "100 % of migrants and 33 % of other residents live more than 1 km from a school");
    if (!lead) fail_msg("no lead sentence in the report");
    assert_true(lead < strstr(html, "aria-label=\"Objective 5")); /* before the objective 5 map (the share map comes first) */ /* before the map */
    assert_non_null(strstr(html, "It is <b>underserved</b> when its nearest school is more than 1 km away"));
    assert_null(strstr(html, "--standard"));
    assert_non_null(strstr(html, "No concentration, within every access standard"));
    assert_non_null(strstr(qml, "beyond an access standard"));
    assert_null(strstr(qml, "worse than the city median"));
    assert_non_null(strstr(fields, "beyond_school"));
    assert_non_null(strstr(fields, "b_school"));
    free(html);
    free(qml);
    free(fields);
    for (int i = 0; i < 4; i++) free(sq[i]);
    free(rp);
    free(qp);
    free(fp);
    free(src);
    free(svc);
    free(out);
}

int main(void) {
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(same_as_driver_on_any_thread_count, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(report_warns_when_districts_are_left_out, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(report_grid_map_for_a_large_city, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(output_write_is_atomic, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(out_pg_into_any_data_source, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(format_copies_match_the_geojson, sg_test_setup, sg_test_teardown),
        cmocka_unit_test(count_kind_is_integer_only_for_whole_numbers),
        cmocka_unit_test_setup_teardown(report_leads_with_standards, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(report_share_map_first_and_one_precision, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(qgis_project_has_a_layout_per_map, sg_test_setup, sg_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
