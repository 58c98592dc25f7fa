#!/usr/bin/env bash
# Installs the system packages swift-op2 needs, only those that are missing (Debian/Ubuntu).
# Sourced by the README's commands; safe to run again.
set -euo pipefail

need=()
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v gzip >/dev/null 2>&1 || need+=(gzip)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# Matrices and solvers (Mat, Solver, the poisson demo): PETSc with Open MPI, and METIS.
pkg-config --exists PETSc 2>/dev/null || need+=(petsc-dev)
pkg-config --exists ompi 2>/dev/null || need+=(libopenmpi-dev)
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)   # the MPI tests and `mpirun -n N airfoil`
[ -e /usr/include/metis.h ] || need+=(libmetis-dev)
# Graph partitioning (OP2.partition): PT-Scotch over Open MPI, and METIS (above).
[ -e /usr/include/scotch/ptscotch.h ] || need+=(libptscotch-dev)
# HDF5 files (OP2's mesh format): the parallel build over Open MPI (pkg-config hdf5-openmpi).
pkg-config --exists hdf5-openmpi 2>/dev/null || need+=(libhdf5-openmpi-dev)
# The opencl backend: the OpenCL ICD loader and headers, and PoCL (OpenCL on the CPU) so that its
# tests run everywhere; a GPU vendor's driver adds its own platform beside PoCL.
[ -e /usr/include/CL/cl.h ] || need+=(opencl-c-headers)
{ [ -e /usr/lib/x86_64-linux-gnu/libOpenCL.so ] || [ -e /usr/lib/aarch64-linux-gnu/libOpenCL.so ] || [ -e /usr/lib/libOpenCL.so ]; } || need+=(ocl-icd-opencl-dev)
ls /etc/OpenCL/vendors/pocl*.icd >/dev/null 2>&1 || need+=(pocl-opencl-icd)

if ((${#need[@]})); then
  echo "swift-op2 setup: installing ${need[*]} (log: ${TMPDIR:-/tmp}/swift-op2-setup.log)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  setup_log="${TMPDIR:-/tmp}/swift-op2-setup.log"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$setup_log" 2>&1; then
    cat "$setup_log"
    echo "swift-op2 setup: installing ${need[*]} failed (log above: $setup_log)"
    exit 1
  fi
fi

# Debian's PETSc.pc carries the distribution's own build flags in Cflags (-Wdate-time
# -D_FORTIFY_SOURCE=2, from dpkg-buildflags), which SwiftPM refuses with "warning: prohibited
# flag(s)" on every build and test command. Neither is needed to compile against PETSc's headers,
# so SwiftPM gets a copy of the file without them: PKG_CONFIG_PATH is searched before the system's
# directories. The copy lives in .build (ignored by git) and is remade when the system's changes.
petsc_pc="$(pkg-config --variable=pcfiledir PETSc 2>/dev/null || true)/PETSc.pc"
if [ -r "$petsc_pc" ] && grep -qE '^Cflags:.*(-Wdate-time|-D_FORTIFY_SOURCE)' "$petsc_pc"; then
  mkdir -p .build/pkgconfig
  sed -E '/^Cflags:/ s/ (-Wdate-time|-D_FORTIFY_SOURCE=[0-9]+)//g' "$petsc_pc" > .build/pkgconfig/PETSc.pc.new
  if cmp -s .build/pkgconfig/PETSc.pc.new .build/pkgconfig/PETSc.pc; then rm .build/pkgconfig/PETSc.pc.new
  else mv .build/pkgconfig/PETSc.pc.new .build/pkgconfig/PETSc.pc; fi
  export PKG_CONFIG_PATH="$PWD/.build/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi

if ! command -v swift >/dev/null 2>&1; then
  for p in /opt/swift/usr/bin /usr/share/swift/usr/bin; do [ -x "$p/swift" ] && export PATH="$p:$PATH"; done
fi
command -v swift >/dev/null 2>&1 || { echo "swift-op2 setup: a Swift 6 toolchain is required (https://swift.org/install)"; exit 1; }
