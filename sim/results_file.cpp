#include "sim/results_file.hpp"

#include "sim/error.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
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

namespace {

void check(herr_t status, const std::string& what) {
  if (status < 0) throw RunError(fmt::format("HDF5: cannot {}", what));
}

// HDF5 prints its error stack to stderr by default; we report errors ourselves.
void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

H5Handle string_type() {
  H5Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "create a string type");
  check(H5Tset_size(t.get(), H5T_VARIABLE), "set string size");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "set string encoding");
  return t;
}

void attr_string(hid_t obj, const std::string& name, const std::string& value) {
  const H5Handle type = string_type();
  const H5Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create a dataspace");
  const H5Handle attr(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                      "create attribute " + name);
  const char* p = value.c_str();
  check(H5Awrite(attr.get(), type.get(), &p), "write attribute " + name);
}

template <class T>
void attr_number(hid_t obj, const std::string& name, T value) {
  const hid_t type = std::is_same_v<T, double> ? H5T_NATIVE_DOUBLE : H5T_NATIVE_UINT64;
  const H5Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create a dataspace");
  const H5Handle attr(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                      "create attribute " + name);
  check(H5Awrite(attr.get(), type, &value), "write attribute " + name);
}

void write_vector(hid_t parent, const std::string& name, std::span<const double> x, bool chunked) {
  const hsize_t dims[1] = {x.size()};
  const H5Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
  if (chunked && !x.empty()) {
    const hsize_t chunk[1] = {std::min<hsize_t>(x.size(), 1 << 16)};
    check(H5Pset_chunk(props.get(), 1, chunk), "set chunking");
  }
  const H5Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                    H5Dclose, "create dataset " + name);
  if (!x.empty()) check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x.data()), "write " + name);
}

H5Handle open_file(const std::string& file) {
  silence_hdf5();
  return H5Handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open " + file);
}

}  // namespace

AtomicTarget::AtomicTarget(std::string target)
    : target_(std::move(target)), temp_(fmt::format("{}.tmp-{}", target_, ::getpid())) {}

AtomicTarget::~AtomicTarget() {
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicTarget::commit() {
  std::error_code ec;
  std::filesystem::rename(temp_, target_, ec);
  if (ec) throw RunError(fmt::format("cannot rename {} to {}: {}", temp_, target_, ec.message()));
  committed_ = true;
}

ResultWriter::ResultWriter(std::string target) : path_(std::move(target)) {
  silence_hdf5();
  file_ = H5Handle(H5Fcreate(path_.temp().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                   fmt::format("create {} (does the directory exist and is it writable?)", path_.temp()));
  samples_ = H5Handle(H5Gcreate2(file_.get(), "samples", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                      "create /samples");
  summary_ = H5Handle(H5Gcreate2(file_.get(), "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                      "create /summary");
}

void ResultWriter::write_run(const Scenario& s, std::uint64_t seed, std::uint64_t samples, Store store) {
  const hid_t root = file_.get();
  attr_string(root, "scenario", s.text);
  attr_string(root, "scenario_name", s.name);
  attr_string(root, "scenario_title", s.title);
  attr_string(root, "scenario_unit", s.unit);
  attr_string(root, "scenario_path", s.path);
  attr_number<std::uint64_t>(root, "seed", seed);
  attr_number<std::uint64_t>(root, "samples", samples);
  attr_string(root, "store", store == Store::all ? "all" : store == Store::report ? "report" : "none");
  attr_string(root, "tamcarlo_version", TAMCARLO_VERSION);
  attr_number<std::uint64_t>(root, "format_version", 1);
}

void ResultWriter::write_samples(const std::string& name, std::span<const double> x, const std::string& unit) {
  write_vector(samples_.get(), name, x, true);
  const H5Handle ds(H5Dopen2(samples_.get(), name.c_str(), H5P_DEFAULT), H5Dclose, "open /samples/" + name);
  attr_string(ds.get(), "unit", unit);
}

void ResultWriter::write_summary(const VariableSummary& v) {
  const H5Handle g(H5Gcreate2(summary_.get(), v.var.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                   "create /summary/" + v.var.name);
  const hid_t id = g.get();
  const Moments& m = v.moments;
  attr_string(id, "kind", v.var.input ? "input" : "formula");
  attr_string(id, "unit", v.var.unit);
  attr_string(id, "source", v.var.source);
  attr_string(id, "law", v.var.law);
  attr_number<std::uint64_t>(id, "reported", v.reported ? 1 : 0);
  attr_number<std::uint64_t>(id, "stored", v.stored ? 1 : 0);
  attr_number(id, "point", v.var.point);
  attr_number<std::uint64_t>(id, "n", m.n);
  attr_number<std::uint64_t>(id, "nonfinite", m.nonfinite);
  attr_number(id, "mean", m.mean);
  attr_number(id, "mean_se", m.se());
  attr_number(id, "mean_ci_lo", m.mean - k_z95_two_sided * m.se());
  attr_number(id, "mean_ci_hi", m.mean + k_z95_two_sided * m.se());
  attr_number(id, "sd", m.sd());
  attr_number(id, "min", m.min);
  attr_number(id, "max", m.max);
  if (v.quantiles.empty()) return;
  std::vector<double> p, value, lo, hi;
  for (const auto& q : v.quantiles) {
    p.push_back(q.p);
    value.push_back(q.value);
    lo.push_back(q.lo);
    hi.push_back(q.hi);
  }
  write_vector(id, "quantile_p", p, false);
  write_vector(id, "quantile", value, false);
  write_vector(id, "quantile_lo", lo, false);
  write_vector(id, "quantile_hi", hi, false);
}

void ResultWriter::commit() {
  samples_ = H5Handle();
  summary_ = H5Handle();
  check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), "flush " + path_.temp());
  file_ = H5Handle();
  path_.commit();
}

std::vector<double> read_dataset(const std::string& file, const std::string& path) {
  const H5Handle f = open_file(file);
  const H5Handle ds(H5Dopen2(f.get(), path.c_str(), H5P_DEFAULT), H5Dclose, fmt::format("open {} in {}", path, file));
  const H5Handle space(H5Dget_space(ds.get()), H5Sclose, "get dataspace of " + path);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<double> out(static_cast<std::size_t>(n));
  if (n > 0) check(H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "read " + path);
  return out;
}

std::vector<double> read_samples(const std::string& file, const std::string& name) {
  return read_dataset(file, "/samples/" + name);
}

std::string read_string_attribute(const std::string& file, const std::string& object, const std::string& name) {
  const H5Handle f = open_file(file);
  const H5Handle attr(H5Aopen_by_name(f.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                      fmt::format("open attribute {} of {}", name, object));
  const H5Handle type = string_type();
  char* value = nullptr;
  check(H5Aread(attr.get(), type.get(), &value), "read attribute " + name);
  std::string out = value ? value : "";
  H5free_memory(value);
  return out;
}

double read_number_attribute(const std::string& file, const std::string& object, const std::string& name) {
  const H5Handle f = open_file(file);
  const H5Handle attr(H5Aopen_by_name(f.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                      fmt::format("open attribute {} of {}", name, object));
  double value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value), "read attribute " + name);
  return value;
}

}  // namespace tamcarlo
