/* The PT-Scotch calls swift-op2 makes (parallel graph partitioning), with `static inline` helpers
 * prefixed `op2shim_`. Not API: the only importer is
 * Sources/OP2/Partitioning/PTScotch+Unsafe.swift.
 *
 * Debian's libptscotch-dev puts the headers in /usr/include/scotch/; ptscotch.h includes
 * "scotch.h" from its own directory and then <mpi.h>, which comes from Open MPI's include
 * directory (the target's pkg-config "ompi" cflags). mpi.h must come before ptscotch.h.
 *
 * SCOTCH_Num is `int` (32 bits) in Debian's default build (/usr/include/scotch/scotch.h;
 * the int64 flavour lives in /usr/include/scotch-int64 with its own libraries). The Swift side
 * uses `SCOTCH_Num` throughout and checks the library's `SCOTCH_numSizeof()` against the header
 * at run time, so that a header/library mismatch is an error, not corrupted memory. */
#ifndef OP2SHIM_PTSCOTCH_H
#define OP2SHIM_PTSCOTCH_H
#include <stdio.h>
#include <stdint.h>
#include <mpi.h>
#include <scotch/ptscotch.h>

/* The size in bytes of SCOTCH_Num as this header defines it. */
static inline int op2shim_ptscotch_num_size(void) { return (int)sizeof(SCOTCH_Num); }

/* The largest SCOTCH_Num (SCOTCH_NUMMAX is a cast expression Swift cannot import). */
static inline SCOTCH_Num op2shim_ptscotch_num_max(void) { return SCOTCH_NUMMAX; }
#endif
