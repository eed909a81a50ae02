#ifndef SEGGAP_VERSION_H
#define SEGGAP_VERSION_H
#define SG_VERSION_STRING "0.1.0"
/* Library version string, e.g. "0.1.0". */
const char *sg_version(void);
#endif
