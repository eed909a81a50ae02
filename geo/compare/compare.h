/* geo/compare/: `seggap compare`, the change of every index between two runs
 * (sg_compare_* in include/seggap/compare.h); analyze --baseline and check
 * call it.
 *
 *   compare.c  reading two runs, the changes, their tests and decompositions */
#ifndef SEGGAP_GEO_COMPARE_H
#define SEGGAP_GEO_COMPARE_H

#include "write/write.h"

#endif
