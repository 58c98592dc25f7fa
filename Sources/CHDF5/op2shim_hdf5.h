/* The HDF5 calls swift-op2 needs that Swift cannot express directly, as `static inline` helpers
 * prefixed `op2shim_`. HDF5's type and property-list identifiers (H5T_NATIVE_INT, H5P_DEFAULT,
 * H5S_ALL...) are macros that call H5open(); the error stack is walked with a C callback. The
 * library is Debian's parallel build (libhdf5-openmpi-dev, pkg-config "hdf5-openmpi"), so files
 * can be opened on an MPI communicator with the MPI-IO driver. Not API: the only importer is
 * Sources/OP2/MeshIO/HDF5File+Unsafe.swift. */
#ifndef OP2SHIM_HDF5_H
#define OP2SHIM_HDF5_H
#include <mpi.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>

static inline hid_t op2shim_h5_native_int(void) { return H5T_NATIVE_INT; }
static inline hid_t op2shim_h5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t op2shim_h5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t op2shim_h5_native_llong(void) { return H5T_NATIVE_LLONG; }
static inline hid_t op2shim_h5_c_s1(void) { return H5T_C_S1; }
static inline hid_t op2shim_h5_default(void) { return H5P_DEFAULT; }
static inline hid_t op2shim_h5_all(void) { return H5S_ALL; }

/* Turns off HDF5's printing of its error stack (H5Eset_auto): errors come back as codes and
 * op2shim_h5_error_message folds the stack into the Swift error. Once per process is enough,
 * but the call is cheap and idempotent. */
static inline void op2shim_h5_silence(void) {
  H5open();
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static inline void op2shim_h5_clear(void) { H5Eclear2(H5E_DEFAULT); }

typedef struct {
  char *buffer;
  size_t capacity;
  size_t used;
} op2shim_h5_message;

static inline herr_t op2shim_h5_walk(unsigned n, const H5E_error2_t *e, void *data) {
  op2shim_h5_message *m = (op2shim_h5_message *)data;
  if (m->used + 4 >= m->capacity || !e->desc || !e->desc[0]) return 0;
  int w = snprintf(m->buffer + m->used, m->capacity - m->used, "%s%s (%s)", m->used ? "; " : "", e->desc,
                   e->func_name ? e->func_name : "?");
  if (w > 0) m->used += (size_t)w < m->capacity - m->used ? (size_t)w : m->capacity - m->used - 1;
  return 0;
}

/* The current thread's HDF5 error stack as one line, innermost error first ("" when empty);
 * then clears the stack. */
static inline void op2shim_h5_error_message(char *buffer, size_t capacity) {
  op2shim_h5_message m = {buffer, capacity, 0};
  if (capacity) buffer[0] = 0;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, op2shim_h5_walk, &m);
  H5Eclear2(H5E_DEFAULT);
}

/* A file-access property list for the MPI-IO driver on `comm` (parallel HDF5); close it with
 * H5Pclose. */
static inline hid_t op2shim_h5_fapl_mpio(MPI_Comm comm) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return fapl;
  if (H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
    H5Pclose(fapl);
    return -1;
  }
  return fapl;
}

/* A transfer property list for collective MPI-IO writes and reads; close it with H5Pclose. */
static inline hid_t op2shim_h5_dxpl_collective(void) {
  hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
  if (dxpl < 0) return dxpl;
  if (H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) < 0) {
    H5Pclose(dxpl);
    return -1;
  }
  return dxpl;
}

/* Marks the POSIX file descriptor of a file opened with the sec2 driver close-on-exec, so that
 * a child process started while the file is open (fork/exec, system()) does not keep it open. */
static inline void op2shim_h5f_cloexec(hid_t file) {
  if (file < 0) return;
  hid_t fapl = H5Fget_access_plist(file);
  if (fapl < 0) return;
  int sec2 = H5Pget_driver(fapl) == H5FD_SEC2;
  H5Pclose(fapl);
  if (!sec2) return;
  void *handle = NULL;
  if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || handle == NULL) return;
  int fd = *(int *)handle;
  int flags = fcntl(fd, F_GETFD);
  if (flags >= 0) (void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* The file access list to open or create a file with: `fapl` (or a new default list) with HDF5's
 * flock() file locking turned off. swift-op2 never shares a file being written (writes go to a
 * private temporary file renamed over the target when complete), so the lock protects nothing
 * here; but a lock is held by every process that inherited the descriptor, so any child started
 * elsewhere in the process while a file was open (a compiler, a user's fork) made reopening the
 * file fail with "unable to lock file, errno = 11" for as long as the child ran. The caller
 * closes the returned list when it differs from `fapl`. */
static inline hid_t op2shim_h5_unlocked_fapl(hid_t fapl) {
  hid_t list = fapl == H5P_DEFAULT ? H5Pcreate(H5P_FILE_ACCESS) : fapl;
  if (list < 0) return list;
  if (H5Pset_file_locking(list, 0, 1) < 0) {
    if (list != fapl) H5Pclose(list);
    return -1;
  }
  return list;
}

/* Closes a list made by op2shim_h5_unlocked_fapl, keeping the error stack of a failed open
 * (a successful call would clear it) for op2shim_h5_error_message. */
static inline void op2shim_h5_close_unlocked_fapl(hid_t list, hid_t fapl) {
  if (list == fapl) return;
  hid_t stack = H5Eget_current_stack();
  H5Pclose(list);
  if (stack >= 0) H5Eset_current_stack(stack);
}

static inline hid_t op2shim_h5f_open_read(const char *path, hid_t fapl) {
  hid_t list = op2shim_h5_unlocked_fapl(fapl);
  if (list < 0) return list;
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, list);
  op2shim_h5_close_unlocked_fapl(list, fapl);
  op2shim_h5f_cloexec(file);
  return file;
}
static inline hid_t op2shim_h5f_create_truncate(const char *path, hid_t fapl) {
  hid_t list = op2shim_h5_unlocked_fapl(fapl);
  if (list < 0) return list;
  hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, list);
  op2shim_h5_close_unlocked_fapl(list, fapl);
  op2shim_h5f_cloexec(file);
  return file;
}

/* Whether `name` is a link in `file` that resolves to an object (1), is absent (0), or the
 * check failed (< 0). `name` has no intermediate groups (OP2's datasets lie at the root). */
static inline htri_t op2shim_h5_exists(hid_t file, const char *name) {
  htri_t link = H5Lexists(file, name, H5P_DEFAULT);
  if (link <= 0) return link;
  return H5Oexists_by_name(file, name, H5P_DEFAULT);
}

/* The shape of a dataset: its rank (at most `max` dimensions are stored in `dims`), or < 0. */
static inline int op2shim_h5_shape(hid_t dataset, hsize_t *dims, int max) {
  hid_t space = H5Dget_space(dataset);
  if (space < 0) return -1;
  int n = H5Sget_simple_extent_ndims(space);
  if (n >= 0 && n <= max) n = H5Sget_simple_extent_dims(space, dims, NULL);
  H5Sclose(space);
  return n;
}

/* The class (H5T_INTEGER 0, H5T_FLOAT 1, H5T_STRING 3, ...) and size in bytes of a dataset's
 * element type; class < 0 on failure. */
static inline int op2shim_h5_type(hid_t dataset, size_t *size) {
  hid_t type = H5Dget_type(dataset);
  if (type < 0) return -1;
  int c = (int)H5Tget_class(type);
  *size = H5Tget_size(type);
  H5Tclose(type);
  return c;
}

/* Selects rows `first ..< first + count` (each `width` values) of the 2-dimensional
 * `file_space` and makes the matching flat memory space in `*mem_space` (close it when it is
 * >= 0). An empty block selects nothing on both sides (a rank with no rows still takes part in
 * a collective transfer). Returns < 0 on failure. */
static inline herr_t op2shim_h5_select_rows(hid_t file_space, hsize_t first, hsize_t count, hsize_t width,
                                            hid_t *mem_space) {
  hsize_t start[2] = {first, 0}, block[2] = {count, width};
  *mem_space = -1;
  herr_t e = H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, block, NULL);
  if (e < 0) return e;
  hsize_t flat = count * width;
  *mem_space = H5Screate_simple(1, &flat, NULL);
  if (*mem_space < 0) return -1;
  if (count == 0) {
    H5Sselect_none(file_space);
    H5Sselect_none(*mem_space);
  }
  return 0;
}

/* Reads rows `first ..< first + count` of a dataset whose rows hold `width` values (the first
 * dimension is rows; a 1-dimensional dataset has width 1), converted to `memtype`, into `out`.
 * With `dxpl` a collective transfer list under MPI-IO, or H5P_DEFAULT. */
static inline herr_t op2shim_h5_read_rows(hid_t dataset, hid_t memtype, int rank, hsize_t first, hsize_t count,
                                          hsize_t width, hid_t dxpl, void *out) {
  hid_t file_space = H5Dget_space(dataset);
  if (file_space < 0) return -1;
  hid_t mem_space = -1;
  herr_t e = op2shim_h5_select_rows(file_space, first, count, width, &mem_space);
  if (e >= 0) e = H5Dread(dataset, memtype, mem_space, file_space, dxpl, out);
  if (mem_space >= 0) H5Sclose(mem_space);
  H5Sclose(file_space);
  (void)rank;
  return e;
}

/* Creates dataset `name` of `rank` dimensions `dims` (1 or 2) with element type `filetype`
 * (contiguous layout), and writes rows `first ..< first + count` (each `width` values of
 * `memtype`) from `values`; `dxpl` as in op2shim_h5_read_rows. Returns the dataset (close it)
 * or < 0. Under MPI-IO every rank calls this with the same name, type and shape. */
static inline hid_t op2shim_h5_create_write(hid_t file, const char *name, hid_t filetype, hid_t memtype, int rank,
                                            const hsize_t *dims, hsize_t first, hsize_t count, hsize_t width,
                                            hid_t dxpl, const void *values) {
  hid_t space = H5Screate_simple(rank, dims, NULL);
  if (space < 0) return -1;
  hid_t dataset = H5Dcreate2(file, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (dataset < 0) {
    H5Sclose(space);
    return -1;
  }
  hid_t mem_space = -1;
  herr_t e = op2shim_h5_select_rows(space, first, count, width, &mem_space);
  if (e >= 0) e = H5Dwrite(dataset, memtype, mem_space, space, dxpl, values);
  if (mem_space >= 0) H5Sclose(mem_space);
  H5Sclose(space);
  if (e < 0) {
    H5Dclose(dataset);
    return -1;
  }
  return dataset;
}

/* The bytes the dataset's data take in the file (H5Dget_storage_size) and whether it has filters
 * (compression), so that a reader can tell a truncated dataset before allocating for it. */
static inline hsize_t op2shim_h5_storage(hid_t dataset, int *filtered) {
  hid_t dcpl = H5Dget_create_plist(dataset);
  *filtered = dcpl >= 0 && H5Pget_nfilters(dcpl) > 0;
  if (dcpl >= 0) H5Pclose(dcpl);
  return H5Dget_storage_size(dataset);
}

static inline hsize_t op2shim_h5_file_size(hid_t file) {
  hsize_t size = 0;
  if (H5Fget_filesize(file, &size) < 0) return 0;
  return size;
}

/* Reads integer attribute `name` of object `object` into *value: 1 when read, 0 when absent,
 * < 0 on failure. */
static inline int op2shim_h5_attribute_int(hid_t object, const char *name, int *value) {
  htri_t exists = H5Aexists(object, name);
  if (exists <= 0) return (int)exists;
  hid_t a = H5Aopen(object, name, H5P_DEFAULT);
  if (a < 0) return -1;
  hid_t type = H5Aget_type(a);
  int ok = type >= 0 && H5Tget_class(type) == H5T_INTEGER && H5Aget_storage_size(a) > 0;
  if (type >= 0) H5Tclose(type);
  herr_t e = ok ? H5Aread(a, H5T_NATIVE_INT, value) : -1;
  H5Aclose(a);
  return e < 0 ? -1 : 1;
}

/* Reads fixed-length string attribute `name` into `buffer` (NUL-terminated, cut at the first
 * NUL: OP2 writes `int` in 10 bytes with leftovers after the NUL): 1 when read, 0 absent, < 0 failed. */
static inline int op2shim_h5_attribute_string(hid_t object, const char *name, char *buffer, size_t capacity) {
  htri_t exists = H5Aexists(object, name);
  if (exists <= 0) return (int)exists;
  hid_t a = H5Aopen(object, name, H5P_DEFAULT);
  if (a < 0) return -1;
  hid_t type = H5Aget_type(a);
  int e = -1;
  if (type >= 0 && H5Tget_class(type) == H5T_STRING && !H5Tis_variable_str(type)) {
    size_t size = H5Tget_size(type);
    if (size < capacity) {
      memset(buffer, 0, capacity);
      e = H5Aread(a, type, buffer) < 0 ? -1 : 1;
      buffer[size] = 0;
    }
  }
  if (type >= 0) H5Tclose(type);
  H5Aclose(a);
  return e;
}

static inline herr_t op2shim_h5_write_attribute_int(hid_t object, const char *name, int value) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(object, name, H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT, &value);
  if (a >= 0) H5Aclose(a);
  H5Sclose(space);
  return e;
}

/* A fixed-length, NUL-terminated string attribute of strlen(value) bytes, as OP2 writes `type`. */
static inline herr_t op2shim_h5_write_attribute_string(hid_t object, const char *name, const char *value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, strlen(value) ? strlen(value) : 1);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = a < 0 ? -1 : H5Awrite(a, type, value);
  if (a >= 0) H5Aclose(a);
  H5Sclose(space);
  H5Tclose(type);
  return e;
}
#endif
