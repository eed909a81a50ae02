/* seggap: residential segregation of migrants and access to public services.
 * Umbrella header. */
#ifndef SEGGAP_H
#define SEGGAP_H
#include "seggap/version.h"
#include "seggap/status.h"
#include "seggap/context.h"
#include "seggap/indices.h"
#include "seggap/analyze.h"
#include "seggap/compare.h"
#include "seggap/check.h"
#endif
