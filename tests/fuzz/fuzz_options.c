/* libFuzzer target: the option parser of `seggap analyze` (geo/options.c).
 * The blob is split at NUL bytes into argv (at most 64 arguments). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sg_ctx *ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ctx && !(ctx = sg_ctx_create())) return 0;
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[65];
    int argc = 0;
    for (size_t i = 0; i <= size && argc < 64;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    if (size == 0) argc = 0;
    argv[argc] = NULL;
    sg_options *o = NULL;
    int help = 0;
    sg_status st = sg_options_parse(ctx, argc, argv, &o, &help);
    if (st == SG_OK) {
        if (!o && !help) __builtin_trap();
        if (o) {
            /* What the parser promises about accepted options. */
            if (!o->districts || !o->id_field || !o->total_field || !o->out_dir) __builtin_trap();
            if (!o->group_field == !o->share_field) __builtin_trap();
            if (o->share_field && o->share_scale != 1.0 && o->share_scale != 100.0) __builtin_trap();
            (void)sg_options_quiet(o);
            (void)sg_options_json(o);
        }
    } else {
        if (o || !sg_ctx_last_error(ctx)[0]) __builtin_trap();
    }
    sg_options_free(o);
    sg_ctx_clear(ctx);
    free(buf);
    return 0;
}
