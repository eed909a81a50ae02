/* libFuzzer target: the YAML config file (geo/config.c, libyaml) through
 * sg__config_load and sg_options_parse_config, which turns it into options
 * for the one option parser. The blob is written to a temporary file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static sg_ctx *ctx;
static char dir[64], path[96];

static void cleanup(void) {
    remove(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    ctx = sg_ctx_create();
    const char *tmp = getenv("TMPDIR"); /* tools/fuzz.sh: its own scratch directory */
    snprintf(dir, sizeof dir, "%s/seggap-fuzz-cfg-XXXXXX", tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(dir)) abort();
    snprintf(path, sizeof path, "%s/check.yaml", dir);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ctx) return 0;
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    sg_config cfg;
    if (sg__config_load(ctx, path, &cfg) == SG_OK) {
        for (int i = 0; i < cfg.argc; i++)
            if (!cfg.argv[i]) __builtin_trap(); /* every argument is a string */
        sg__config_free(&cfg);
    }
    sg_ctx_clear(ctx);
    char *argv[] = {"--config", path, "--out", dir, NULL};
    sg_options *o = NULL;
    int help = 0;
    sg_status st = sg_options_parse_config(ctx, 4, argv, &o, &help);
    if (st != SG_OK && o) __builtin_trap();
    sg_options_free(o);
    sg_ctx_clear(ctx);
    return 0;
}
