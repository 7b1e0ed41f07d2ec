#include "sim/io/h5.hpp"

#include "sim/io/seal.hpp"

#include <hdf5_hl.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace tamcarlo {

H5Handle::H5Handle(hid_t id, Closer close, const std::string& what) : id_(id), close_(close) {
  if (id < 0) throw RunError(fmt::format("HDF5: cannot {}", what));
}
H5Handle::H5Handle(H5Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = H5I_INVALID_HID; }
H5Handle& H5Handle::operator=(H5Handle&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0 && close_) close_(id_);
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}
H5Handle::~H5Handle() {
  if (id_ >= 0 && close_) close_(id_);
}


// HDF5's own exit handler closes files still open at exit; after a failed write (a full disk) that
// crashes inside the library (H5F__close_cb). tamcarlo closes every file itself (RAII), so it turns
// the handler off before any other HDF5 call: the one process-wide HDF5 setting it makes.
[[maybe_unused]] const bool k_no_hdf5_atexit = (H5dont_atexit(), true);

// RunError for a failed write to `target`, naming the path and, when it is so, the full disk.
RunError write_failure(const std::string& target, const std::string& what) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(target).parent_path();
  if (dir.empty()) dir = ".";
  const auto space = std::filesystem::space(dir, ec);
  const bool full = !ec && space.available < (std::uintmax_t{1} << 20);
  return RunError(fmt::format("cannot write {}: {}{}; nothing was written there", target, what,
                              full ? fmt::format(" (the disk holding {} is full)", dir.string()) : ""));
}

void h5_check(herr_t status, const std::string& what) {
  if (status < 0) throw RunError(fmt::format("HDF5: cannot {}", what));
}

// HDF5 prints its error stack to stderr by default; we report errors ourselves.
void h5_silence() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

namespace h5 {

H5Handle create_file(const std::string& path, const std::string& target, bool dense_attributes) {
  h5_silence();
  const H5Handle props(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "create file properties");
  h5_check(H5Pset_userblock(props.get(), k_seal_bytes), "reserve the seal's user block");
  const H5Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "create file access properties");
  if (dense_attributes)  // the 1.8 object format (read by every HDF5 since 2008): about 0.7 ms more for a small file
    h5_check(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), "set the file format's versions");
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, props.get(), access.get());
  if (id < 0) throw write_failure(target, fmt::format("cannot create {}", path));
  return H5Handle(id, H5Fclose, "create " + path);
}

H5Handle string_type() {
  H5Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "create a string type");
  h5_check(H5Tset_size(t.get(), H5T_VARIABLE), "set string size");
  h5_check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "set string encoding");
  return t;
}

H5Handle group(hid_t parent, const std::string& name) {
  return H5Handle(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                  "create group " + name);
}

void attr(hid_t obj, const std::string& name, const std::string& value) {
  const H5Handle type = h5::string_type();
  const H5Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create a dataspace");
  const H5Handle a(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                   "create attribute " + name);
  const char* p = value.c_str();
  h5_check(H5Awrite(a.get(), type.get(), &p), "write attribute " + name);
}

namespace {
template <class T>
void attr_number(hid_t obj, const std::string& name, hid_t type, T value) {
  const H5Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create a dataspace");
  const H5Handle a(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                   "create attribute " + name);
  h5_check(H5Awrite(a.get(), type, &value), "write attribute " + name);
}
// A 1-d attribute of `values`, stored as `file_type`, read from memory as `memory_type`.
template <class T>
void attr_array(hid_t obj, const std::string& name, hid_t file_type, hid_t memory_type, std::span<const T> values) {
  const hsize_t dims[1] = {values.size()};
  const H5Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle a(H5Acreate2(obj, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                   "create attribute " + name);
  h5_check(H5Awrite(a.get(), memory_type, values.data()), "write attribute " + name);
}
}  // namespace

void attr(hid_t obj, const std::string& name, double value) { attr_number(obj, name, H5T_NATIVE_DOUBLE, value); }
void attr(hid_t obj, const std::string& name, std::uint64_t value) { attr_number(obj, name, H5T_NATIVE_UINT64, value); }

void attr(hid_t obj, const std::string& name, std::span<const int> values) {
  attr_array(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT, values);
}

void attr(hid_t obj, const std::string& name, std::span<const double> values) {
  attr_array(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values);
}

void attr(hid_t obj, const std::string& name, const std::vector<std::string>& values) {
  const H5Handle type = h5::string_type();
  const hsize_t dims[1] = {values.size()};
  const H5Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle a(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                   "create attribute " + name);
  std::vector<const char*> p;
  for (const auto& v : values) p.push_back(v.c_str());
  if (!p.empty()) h5_check(H5Awrite(a.get(), type.get(), p.data()), "write attribute " + name);
}

void dims(hid_t scales, hid_t ds, const DimNames& names) {
  const H5Handle space(H5Dget_space(ds), H5Sclose, "read a dataspace");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < static_cast<int>(names.size()))
    throw RunError(fmt::format("HDF5: {} dimension names for a dataset of rank {}", names.size(), rank));
  std::vector<hsize_t> shape(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), shape.data(), nullptr);
  for (int axis = 0; axis < static_cast<int>(names.size()); ++axis) {
    const std::string& dim = names[static_cast<std::size_t>(axis)];
    H5Handle scale;
    if (H5Lexists(scales, dim.c_str(), H5P_DEFAULT) > 0) {
      scale = H5Handle(H5Dopen2(scales, dim.c_str(), H5P_DEFAULT), H5Dclose, "open dimension " + dim);
      if (H5DSis_scale(scale.get()) <= 0) h5_check(H5DSset_scale(scale.get(), dim.c_str()), "make " + dim + " a dimension");
    } else {
      // netCDF-4's dimension without a coordinate variable: a float32 dataset of the axis's length, never written
      // (so it takes no space), whose NAME says what it is.
      const hsize_t n[1] = {shape[static_cast<std::size_t>(axis)]};
      const H5Handle dspace(H5Screate_simple(1, n, nullptr), H5Sclose, "create a dataspace");
      scale = H5Handle(H5Dcreate2(scales, dim.c_str(), H5T_IEEE_F32LE, dspace.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                       H5Dclose, "create dimension " + dim);
      const std::string label = fmt::format("This is a netCDF dimension but not a netCDF variable.{:10}", n[0]);
      h5_check(H5DSset_scale(scale.get(), label.c_str()), "make " + dim + " a dimension");
    }
    if (H5DSis_scale(ds) > 0) continue;  // a coordinate is its own dimension
    h5_check(H5DSattach_scale(ds, scale.get(), static_cast<unsigned>(axis)), "attach dimension " + dim);
  }
}

void dataset(hid_t parent, const std::string& name, std::span<const int> x, const std::string& dim) {
  const hsize_t n[1] = {x.size()};
  const H5Handle space(H5Screate_simple(1, n, nullptr), H5Sclose, "create a dataspace");
  const H5Handle ds(H5Dcreate2(parent, name.c_str(), H5T_STD_I32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose, "create dataset " + name);
  if (!x.empty()) h5_check(H5Dwrite(ds.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x.data()), "write " + name);
  dims(parent, ds.get(), {dim});
}

void dataset(hid_t parent, const std::string& name, std::span<const double> x, std::vector<hsize_t> dims,
             const DimNames& names, bool chunked) {
  const H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                       "create a dataspace");
  const H5Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
  if (chunked && !x.empty()) {
    std::vector<hsize_t> chunk(dims.size(), 1);
    chunk[0] = std::min<hsize_t>(dims[0], 1 << 16);
    h5_check(H5Pset_chunk(props.get(), static_cast<int>(chunk.size()), chunk.data()), "set chunking");
  }
  const H5Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                    H5Dclose, "create dataset " + name);
  if (!x.empty()) h5_check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x.data()), "write " + name);
  h5::dims(parent, ds.get(), names);
}

void virtual_columns(hid_t parent, const std::string& name, std::uint64_t n, const std::vector<std::string>& sources,
                     const DimNames& names) {
  const hsize_t dims[2] = {n, sources.size()}, sdims[1] = {n};
  const H5Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle source_space(H5Screate_simple(1, sdims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  h5_check(H5Pset_fill_value(props.get(), H5T_NATIVE_DOUBLE, &nan), "set a fill value");
  for (hsize_t c = 0; c < sources.size(); ++c) {
    if (sources[c].empty()) continue;
    const hsize_t start[2] = {0, c}, count[2] = {n, 1};
    h5_check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "select a column");
    h5_check(H5Pset_virtual(props.get(), space.get(), ".", sources[c].c_str(), source_space.get()),
          "map " + sources[c] + " into " + name);
  }
  const H5Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                    H5Dclose, "create dataset " + name);
  h5::dims(parent, ds.get(), names);
}

void strings(hid_t parent, const std::string& name, const std::vector<std::string>& values, const std::string& dim) {
  const H5Handle type = h5::string_type();
  const hsize_t dims[1] = {values.size()};
  const H5Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle ds(H5Dcreate2(parent, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose, "create dataset " + name);
  std::vector<const char*> p;
  for (const auto& v : values) p.push_back(v.c_str());
  h5::dims(parent, ds.get(), {dim.empty() ? name : dim});
  if (p.empty()) return;
  // A type-conversion buffer the size of the pointers (HDF5's default is 1 MB, zeroed for every write: most of a
  // small result's write time).
  const H5Handle xfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "create a transfer property list");
  h5_check(H5Pset_buffer(xfer.get(), std::max<std::size_t>(4096, 2 * sizeof(char*) * p.size()), nullptr, nullptr),
           "size the conversion buffer of " + name);
  h5_check(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, xfer.get(), p.data()), "write " + name);
}

}  // namespace h5

namespace h5 {

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

std::string read_string_attr(hid_t obj, const std::string& name) {
  const H5Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "open attribute " + name);
  const H5Handle type = string_type();
  char* value = nullptr;
  h5_check(H5Aread(a.get(), type.get(), &value), "read attribute " + name);
  std::string out = value ? value : "";
  H5free_memory(value);
  return out;
}

std::uint64_t read_uint_attr(hid_t obj, const std::string& name) {
  const H5Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "open attribute " + name);
  std::uint64_t v = 0;
  h5_check(H5Aread(a.get(), H5T_NATIVE_UINT64, &v), "read attribute " + name);
  return v;
}

}  // namespace h5

}  // namespace tamcarlo
