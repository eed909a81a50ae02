/* geo/compare/: `seggap compare`, the change of every index between two runs
 * (sg_compare_* in include/seggap/compare.h); analyze --baseline and check
 * call it.
 *
 *   compare.c  reading two runs, the changes, their tests and decompositions */
#ifndef SEGGAP_GEO_COMPARE_H
#define SEGGAP_GEO_COMPARE_H

#include "write/write.h"

/* sg_compare_run, the current run's files named as in current_as (the folder
 * a staging folder will become), NULL: as read. */
sg_status sg__compare_run_as(sg_ctx *ctx, const sg_compare_options *o, const char *current_as, sg_compare **out);

#endif
