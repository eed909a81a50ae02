/* "a, b, c, ... (N in all)": the first ids of a list of districts, for
 * messages and summaries. */
#include <stdlib.h>

#include "read/read.h"

char *sg__first_ids(const sg_city *c, const size_t *idx, size_t n) {
    size_t k = n < SG_FIRST_IDS ? n : SG_FIRST_IDS;
    char **ids = calloc(k + 1, sizeof *ids);
    if (!ids) return NULL;
    for (size_t i = 0; i < k; i++) ids[i] = c->id[idx[i]] ? c->id[idx[i]] : (char *)"";
    char *s = sg__format_ids((const char *const *)ids, k, k, n, SG_IDS_IN_ALL);
    free(ids);
    return s;
}
