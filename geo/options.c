/* Command-line options of `seggap analyze`, parsed into sg_options. No
 * getopt: it keeps global state, and the library must stay reentrant. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char usage_text[] =
    "usage: seggap analyze --districts FILE --id FIELD --total FIELD\n"
    "                      (--group FIELD | --group-share FIELD --share-scale fraction|percent)\n"
    "                      --out DIR [options]\n"
    "\n"
    "Input:\n"
    "  --districts SRC        district polygons: any OGR source (Shapefile, GeoJSON,\n"
    "                         GeoPackage, GML, 'PG:dbname=...')\n"
    "  --layer NAME           layer of SRC (required when SRC has several layers)\n"
    "  --id FIELD             district id, always read as text (leading zeros kept)\n"
    "  --total FIELD          total population\n"
    "  --group FIELD          migrant (group) population\n"
    "  --group-share FIELD    migrant share instead of a count: count = share x total\n"
    "  --share-scale S        fraction (0..1) or percent (0..100); required with --group-share\n"
    "  --table SRC            census table (CSV or any OGR source) joined on --id; repeatable\n"
    "  --table-key FIELD      key field of the preceding --table (default: the --id name)\n"
    "  --table-layer NAME     layer of the preceding --table\n"
    "\n"
    "CRS:\n"
    "  --input-crs CRS        CRS of the districts when the source has none (EPSG:n, WKT, PROJ)\n"
    "  --work-crs EPSG:n      projected CRS for areas and distances (default: the source CRS\n"
    "                         if it is projected in metres, else the UTM zone of the centre)\n"
    "\n"
    "Behaviour and output:\n"
    "  --strict               invalid geometry and missing values are errors, not repaired/skipped\n"
    "  --out DIR              output directory (created if missing; files replaced atomically)\n"
    "  --quiet                no summary on stdout, no warnings on stderr\n"
    "  --json                 print summary.json on stdout instead of the text summary\n"
    "  --help                 this text\n"
    "\n"
    "Exit codes: 0 success, 1 bad input data, 2 usage error, 4 output not written,\n"
    "5 internal error.\n";

const char *sg_options_usage(void) { return usage_text; }
int sg_options_quiet(const sg_options *o) { return o ? o->quiet : 0; }
int sg_options_json(const sg_options *o) { return o ? o->json : 0; }

void sg_options_free(sg_options *o) {
    if (!o) return;
    free(o->districts);
    free(o->layer);
    free(o->id_field);
    free(o->total_field);
    free(o->group_field);
    free(o->share_field);
    for (size_t i = 0; i < o->ntables; i++) {
        free(o->tables[i].path);
        free(o->tables[i].key);
        free(o->tables[i].layer);
    }
    free(o->tables);
    free(o->input_crs);
    free(o->work_crs);
    free(o->out_dir);
    free(o);
}

static sg_status usage(sg_ctx *ctx, const char *fmt, const char *arg) {
    return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE, fmt, arg);
}

/* Sets *dst once; a repeated single-valued option is an error. */
static sg_status set_once(sg_ctx *ctx, char **dst, const char *opt, const char *val) {
    if (*dst) return usage(ctx, "option %s given twice", opt);
    if (!*val) return usage(ctx, "option %s needs a non-empty value", opt);
    *dst = sg__strdup(val);
    return *dst ? SG_OK : sg__nomem(ctx);
}

sg_status sg_options_parse(sg_ctx *ctx, int argc, char *const *argv, sg_options **out, int *help) {
    *out = NULL;
    if (help) *help = 0;
    sg_options *o = calloc(1, sizeof *o);
    if (!o) return sg__nomem(ctx);
    sg_status st = SG_OK;
    char *share_scale = NULL;
    for (int i = 0; i < argc && st == SG_OK; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            st = usage(ctx, "unexpected argument '%s' (options start with --)", arg);
            break;
        }
        char name[64];
        const char *val = NULL;
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nlen >= sizeof name) {
            st = usage(ctx, "unknown option '%s'", arg);
            break;
        }
        memcpy(name, arg, nlen);
        name[nlen] = '\0';
        if (eq) val = eq + 1;

        /* Flags first. */
        int *flag = NULL;
        if (strcmp(name, "--strict") == 0) flag = &o->strict;
        else if (strcmp(name, "--quiet") == 0) flag = &o->quiet;
        else if (strcmp(name, "--json") == 0) flag = &o->json;
        else if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
            if (help) *help = 1;
            sg_options_free(o);
            free(share_scale);
            return SG_OK;
        }
        if (flag) {
            if (val) {
                st = usage(ctx, "option %s takes no value", name);
                break;
            }
            *flag = 1;
            continue;
        }

        char **dst = NULL;
        if (strcmp(name, "--districts") == 0) dst = &o->districts;
        else if (strcmp(name, "--layer") == 0) dst = &o->layer;
        else if (strcmp(name, "--id") == 0) dst = &o->id_field;
        else if (strcmp(name, "--total") == 0) dst = &o->total_field;
        else if (strcmp(name, "--group") == 0) dst = &o->group_field;
        else if (strcmp(name, "--group-share") == 0) dst = &o->share_field;
        else if (strcmp(name, "--share-scale") == 0) dst = &share_scale;
        else if (strcmp(name, "--input-crs") == 0) dst = &o->input_crs;
        else if (strcmp(name, "--work-crs") == 0) dst = &o->work_crs;
        else if (strcmp(name, "--out") == 0) dst = &o->out_dir;
        else if (strcmp(name, "--table") != 0 && strcmp(name, "--table-key") != 0 &&
                 strcmp(name, "--table-layer") != 0) {
            st = usage(ctx, "unknown option '%s'", name);
            break;
        }
        if (!val) {
            if (i + 1 >= argc) {
                st = usage(ctx, "option %s needs a value", name);
                break;
            }
            val = argv[++i];
        }
        if (dst) {
            st = set_once(ctx, dst, name, val);
            continue;
        }
        if (strcmp(name, "--table") == 0) {
            sg_table_spec *nt = sg__reallocarray(o->tables, o->ntables + 1, sizeof *nt);
            if (!nt) {
                st = sg__nomem(ctx);
                break;
            }
            o->tables = nt;
            memset(&nt[o->ntables], 0, sizeof *nt);
            o->ntables++;
            st = set_once(ctx, &nt[o->ntables - 1].path, name, val);
        } else {
            if (o->ntables == 0) {
                st = usage(ctx, "option %s must follow the --table it applies to", name);
                break;
            }
            sg_table_spec *t = &o->tables[o->ntables - 1];
            st = set_once(ctx, strcmp(name, "--table-key") == 0 ? &t->key : &t->layer, name, val);
        }
    }
    if (st == SG_OK) {
        if (!o->districts) st = usage(ctx, "%s is required", "--districts");
        else if (!o->id_field) st = usage(ctx, "%s is required", "--id");
        else if (!o->total_field) st = usage(ctx, "%s is required", "--total");
        else if (!o->out_dir) st = usage(ctx, "%s is required", "--out");
        else if (!o->group_field && !o->share_field)
            st = usage(ctx, "%s", "one of --group or --group-share is required");
        else if (o->group_field && o->share_field)
            st = usage(ctx, "%s", "--group and --group-share exclude each other");
        else if (o->share_field && !share_scale)
            st = usage(ctx, "%s", "--group-share needs --share-scale fraction|percent");
        else if (share_scale && !o->share_field)
            st = usage(ctx, "%s", "--share-scale applies only with --group-share");
        else if (share_scale) {
            if (strcmp(share_scale, "fraction") == 0) o->share_scale = 1.0;
            else if (strcmp(share_scale, "percent") == 0) o->share_scale = 100.0;
            else st = usage(ctx, "--share-scale must be 'fraction' or 'percent', not '%s'", share_scale);
        }
    }
    free(share_scale);
    if (st != SG_OK) {
        sg_options_free(o);
        return st;
    }
    *out = o;
    return SG_OK;
}
