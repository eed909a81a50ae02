/* seggap: status codes shared by every library call. */
#ifndef SEGGAP_STATUS_H
#define SEGGAP_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* One list gives the enum, sg_status_name() and sg_strerror().
 * Each entry: symbol, short name, description, CLI exit code. */
#define SG_STATUS_MAP(X)                                                        \
    X(SG_OK, "ok", "success", 0)                                               \
    X(SG_ERR_USAGE, "usage", "invalid command-line usage or option", 2)        \
    X(SG_ERR_INPUT, "input", "input file or layer cannot be opened or read", 1)\
    X(SG_ERR_DATA, "data", "input data is invalid", 1)                         \
    X(SG_ERR_CRS, "crs", "coordinate reference system problem", 1)            \
    X(SG_ERR_GEOMETRY, "geometry", "invalid or unusable geometry", 1)          \
    X(SG_ERR_OUTPUT, "output", "output cannot be written", 4)                  \
    X(SG_ERR_NOMEM, "nomem", "out of memory", 5)                               \
    X(SG_ERR_INTERNAL, "internal", "internal error (a bug in seggap)", 5)      \
    X(SG_ERR_CANCELLED, "cancelled", "interrupted: cancelled by the caller or a signal", 130)

typedef enum sg_status {
#define SG__STATUS_ENUM(sym, name, desc, code) sym,
    SG_STATUS_MAP(SG__STATUS_ENUM)
#undef SG__STATUS_ENUM
    SG_STATUS_COUNT
} sg_status;

/* Short machine name of a status ("data", "usage", ...). Never NULL. */
const char *sg_status_name(sg_status s);
/* Human description of a status. Never NULL. */
const char *sg_strerror(sg_status s);
/* Exit code the CLI uses for a status: 0 ok, 1 bad input data, 2 usage,
 * 4 output could not be written, 5 internal error or out of memory,
 * 130 interrupted (sg_ctx_cancel, e.g. on SIGINT). */
int sg_status_exit_code(sg_status s);

#ifdef __cplusplus
}
#endif
#endif
