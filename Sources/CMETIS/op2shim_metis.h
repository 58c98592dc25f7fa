/* The METIS calls swift-op2 makes (serial k-way graph partitioning), with `static inline` helpers
 * prefixed `op2shim_`. METIS's option indices and status codes are anonymous C enums; these
 * functions hand them to Swift as plain ints. idx_t is 32 bits in Debian's libmetis-dev
 * (IDXTYPEWIDTH 32 in /usr/include/metis.h); the Swift side uses `idx_t` and checks counts
 * against `op2shim_metis_idx_max()`. Not API: the only importer is
 * Sources/OP2/Partitioning/METIS+Unsafe.swift. */
#ifndef OP2SHIM_METIS_H
#define OP2SHIM_METIS_H
#include <stdint.h>
#include <metis.h>

static inline int op2shim_metis_noptions(void) { return METIS_NOPTIONS; }
static inline int op2shim_metis_option_seed(void) { return METIS_OPTION_SEED; }
static inline int op2shim_metis_option_numbering(void) { return METIS_OPTION_NUMBERING; }
static inline int op2shim_metis_ok(void) { return METIS_OK; }
static inline int op2shim_metis_error_input(void) { return METIS_ERROR_INPUT; }
static inline int op2shim_metis_error_memory(void) { return METIS_ERROR_MEMORY; }
static inline idx_t op2shim_metis_idx_max(void) { return IDX_MAX; }
#endif
