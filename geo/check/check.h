/* geo/check/: `seggap check`: validate a new release, recompute it with
 * analyze, compare it with the baseline and judge the thresholds.
 *
 *   check.c  the rules and the verdict
 *   junit.c  check.xml (JUnit) */
#ifndef SEGGAP_GEO_CHECK_H
#define SEGGAP_GEO_CHECK_H

#include "analyze/analyze.h"

/* A finding of `seggap check` (check.c). */
typedef enum sg_finding_sev { SG_FIND_INFO = 0, SG_FIND_WARNING, SG_FIND_ERROR } sg_finding_sev;

/* JUnit XML of a check (junit.c): one <testcase> per validation rule and per
 * threshold rule. Written from check.json's object tree. */
sg_status sg__junit_write(sg_ctx *ctx, void *check_json, const char *path);

#endif
