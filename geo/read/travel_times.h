/* --travel-times (issue 17): origin-destination tables of travel times,
 * read against the districts and the services of one type (travel_times.c).
 * Included by read/ and by access/, which calls it per service type. */
#ifndef SEGGAP_GEO_READ_TRAVEL_TIMES_H
#define SEGGAP_GEO_READ_TRAVEL_TIMES_H

#include <stdint.h>

#include "read/read.h"

/* ---- travel times (travel_times.c) ---- */
/* What the reader learned, for the summary. */
typedef struct sg_tt_info {
    sg_src_info src;
    char *origin, *dest, *minutes; /* the columns used */
    long long rows;                /* rows read */
    size_t districts_with_time;    /* districts with at least one row */
    size_t districts_without;      /* districts with a geometry but no row (warned, null) */
} sg_tt_info;
void sg__tt_info_free(sg_tt_info *t);
/* The table's rows as pairs, for --reach and --time-catchment: the rows of
 * district i are [off[i], off[i+1]), one per service location named (every
 * location of a multipoint), locations ascending, the least minutes when a
 * pair is given twice. */
typedef struct sg_tt_rows {
    size_t n;      /* districts (city->n) */
    size_t *off;   /* n + 1 */
    uint32_t *loc; /* location index into sid */
    double *min;
} sg_tt_rows;
void sg__tt_rows_free(sg_tt_rows *r);
/* Reads spec->tt_path, a table of (district id, service id, minutes), and
 * gives minutes[i] = the least minutes of district i to any service of the
 * type (NaN: no row). sid[0..nsid) are the ids of the services read (several
 * locations may share one). Unknown district or service ids, missing,
 * non-numeric or negative minutes are errors naming file, row and field;
 * districts without a row are a warning (W_TT_NO_ROW), never 0. */
sg_status sg__travel_times_read(sg_ctx *ctx, const sg_service_spec *spec, const sg_city *city,
                                char *const *sid, size_t nsid, double *minutes, sg_tt_info *info);
/* The same, also giving the rows as pairs (*rows; NULL: not wanted). */
sg_status sg__travel_times_read_rows(sg_ctx *ctx, const sg_service_spec *spec, const sg_city *city,
                                     char *const *sid, size_t nsid, double *minutes, sg_tt_info *info,
                                     sg_tt_rows *rows);

#endif
