#include "sim/io/results_file.hpp"

#include "sim/error.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>

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
  // Checked before the run too; checked again here since the path may have changed meanwhile.
  const auto st = std::filesystem::symlink_status(target_, ec);
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
    throw RunError(fmt::format("{} is no longer a regular file; the result was not written there", target_));
  std::filesystem::rename(temp_, target_, ec);
  if (ec) throw RunError(fmt::format("cannot rename {} to {}: {}", temp_, target_, ec.message()));
  committed_ = true;
}

namespace h5 {

H5Handle group(hid_t parent, const std::string& name) {
  return H5Handle(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                  "create group " + name);
}

void attr(hid_t obj, const std::string& name, const std::string& value) {
  const H5Handle type = string_type();
  const H5Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create a dataspace");
  const H5Handle a(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                   "create attribute " + name);
  const char* p = value.c_str();
  check(H5Awrite(a.get(), type.get(), &p), "write attribute " + name);
}

namespace {
template <class T>
void attr_number(hid_t obj, const std::string& name, hid_t type, T value) {
  const H5Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create a dataspace");
  const H5Handle a(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                   "create attribute " + name);
  check(H5Awrite(a.get(), type, &value), "write attribute " + name);
}
}  // namespace

void attr(hid_t obj, const std::string& name, double value) { attr_number(obj, name, H5T_NATIVE_DOUBLE, value); }
void attr(hid_t obj, const std::string& name, std::uint64_t value) { attr_number(obj, name, H5T_NATIVE_UINT64, value); }

void attr(hid_t obj, const std::string& name, std::span<const int> values) {
  const hsize_t dims[1] = {values.size()};
  const H5Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle a(H5Acreate2(obj, name.c_str(), H5T_STD_I32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                   "create attribute " + name);
  check(H5Awrite(a.get(), H5T_NATIVE_INT, values.data()), "write attribute " + name);
}

void dataset(hid_t parent, const std::string& name, std::span<const double> x, std::vector<hsize_t> dims,
             bool chunked) {
  const H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                       "create a dataspace");
  const H5Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
  if (chunked && !x.empty()) {
    std::vector<hsize_t> chunk(dims.size(), 1);
    chunk[0] = std::min<hsize_t>(dims[0], 1 << 16);
    check(H5Pset_chunk(props.get(), static_cast<int>(chunk.size()), chunk.data()), "set chunking");
  }
  const H5Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                    H5Dclose, "create dataset " + name);
  if (!x.empty()) check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x.data()), "write " + name);
}

void columns(hid_t parent, const std::string& name, const std::vector<std::span<const double>>& cols) {
  const hsize_t n = cols.empty() ? 0 : cols[0].size();
  const hsize_t dims[2] = {n, cols.size()};
  const H5Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
  const hsize_t chunk[2] = {std::max<hsize_t>(1, std::min<hsize_t>(n, 1 << 16)), 1};
  check(H5Pset_chunk(props.get(), 2, chunk), "set chunking");
  const H5Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                    H5Dclose, "create dataset " + name);
  const hsize_t mdims[1] = {n};
  const H5Handle memory(H5Screate_simple(1, mdims, nullptr), H5Sclose, "create a dataspace");
  for (hsize_t c = 0; c < cols.size() && n > 0; ++c) {
    const hsize_t start[2] = {0, c}, count[2] = {n, 1};
    check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "select a column");
    check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT, cols[c].data()),
          "write " + name);
  }
}

void virtual_columns(hid_t parent, const std::string& name, std::uint64_t n, const std::vector<std::string>& sources) {
  const hsize_t dims[2] = {n, sources.size()}, sdims[1] = {n};
  const H5Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle source_space(H5Screate_simple(1, sdims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  check(H5Pset_fill_value(props.get(), H5T_NATIVE_DOUBLE, &nan), "set a fill value");
  for (hsize_t c = 0; c < sources.size(); ++c) {
    if (sources[c].empty()) continue;
    const hsize_t start[2] = {0, c}, count[2] = {n, 1};
    check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "select a column");
    check(H5Pset_virtual(props.get(), space.get(), ".", sources[c].c_str(), source_space.get()),
          "map " + sources[c] + " into " + name);
  }
  const H5Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                    H5Dclose, "create dataset " + name);
}

void strings(hid_t parent, const std::string& name, const std::vector<std::string>& values) {
  const H5Handle type = string_type();
  const hsize_t dims[1] = {values.size()};
  const H5Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle ds(H5Dcreate2(parent, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose, "create dataset " + name);
  std::vector<const char*> p;
  for (const auto& v : values) p.push_back(v.c_str());
  if (!p.empty()) check(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()), "write " + name);
}

}  // namespace h5

namespace {

// summary/<name>/risk: tail levels with VaR (and CI) and CVaR (and SE), threshold probabilities, downside deviation.
void write_risk(hid_t parent, const RiskStats& k, bool upper_tail) {
  const H5Handle g = h5::group(parent, "risk");
  const hid_t id = g.get();
  h5::attr(id, "tail", upper_tail ? "upper" : "lower");
  std::vector<double> level, var, var_lo, var_hi, cvar, cvar_se;
  for (const auto& t : k.tails) {
    level.push_back(t.level);
    var.push_back(t.var.value);
    var_lo.push_back(t.var.lo);
    var_hi.push_back(t.var.hi);
    cvar.push_back(t.cvar);
    cvar_se.push_back(t.cvar_se);
  }
  for (const auto& [name, v] : {std::pair{"level", &level}, {"var", &var}, {"var_lo", &var_lo}, {"var_hi", &var_hi},
                                {"cvar", &cvar}, {"cvar_se", &cvar_se}})
    h5::dataset(id, name, *v, {v->size()});
  for (const bool below : {true, false}) {
    std::vector<double> t, p, lo, hi;
    for (const auto& x : k.thresholds)
      if (x.below == below) {
        t.push_back(x.threshold);
        p.push_back(x.p.p);
        lo.push_back(x.p.lo);
        hi.push_back(x.p.hi);
      }
    const std::string stem = below ? "below" : "at_least";
    h5::dataset(id, stem + "_threshold", t, {t.size()});
    h5::dataset(id, "p_" + stem, p, {p.size()});
    h5::dataset(id, "p_" + stem + "_lo", lo, {lo.size()});
    h5::dataset(id, "p_" + stem + "_hi", hi, {hi.size()});
  }
  h5::attr(id, "downside_target", k.downside_target);
  h5::attr(id, "semi_deviation", k.semi_deviation);
  h5::attr(id, "semi_deviation_se", k.semi_deviation_se);
}

}  // namespace

void SampleDatasets::add(hid_t parent, const std::string& name, std::uint64_t n, const std::string& unit,
                         std::span<const int> years) {
  const bool matrix = !years.empty();
  const hsize_t cols = matrix ? years.size() : 1;
  const hsize_t dims[2] = {n, cols};
  const H5Handle space(H5Screate_simple(matrix ? 2 : 1, dims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
  const hsize_t chunk[2] = {std::max<hsize_t>(1, std::min<hsize_t>(n, 1 << 16)), 1};
  if (n > 0) check(H5Pset_chunk(props.get(), matrix ? 2 : 1, chunk), "set chunking");
  H5Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
              H5Dclose, "create dataset " + name);
  h5::attr(ds.get(), "unit", unit);
  if (matrix) h5::attr(ds.get(), "years", years);
  entries_.push_back({std::move(ds), cols, matrix, name});
  width_ += cols;
}

void SampleDatasets::write(std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& columns) {
  silence_hdf5();  // HDF5's error printing is per thread, and this runs on worker threads
  const hsize_t mdims[1] = {rows};
  const H5Handle memory(H5Screate_simple(1, mdims, nullptr), H5Sclose, "create a dataspace");
  std::size_t c = 0;
  for (const Entry& e : entries_) {
    const H5Handle space(H5Dget_space(e.dataset.get()), H5Sclose, "get the dataspace of " + e.name);
    for (std::size_t k = 0; k < e.columns; ++k, ++c) {
      const hsize_t start[2] = {first, k}, count[2] = {rows, 1};
      check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "select rows of " + e.name);
      check(H5Dwrite(e.dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT, columns.at(c).data()),
            "write samples of " + e.name);
    }
  }
}

RunGroup::RunGroup(hid_t group)
    : group_(group), samples_(h5::group(group, "samples")), summary_(h5::group(group, "summary")) {}

void RunGroup::write_run(const Scenario& s, std::uint64_t seed, std::uint64_t samples, Store store) {
  h5::attr(group_, "scenario", s.text);
  h5::attr(group_, "scenario_name", s.name);
  h5::attr(group_, "scenario_title", s.title);
  h5::attr(group_, "scenario_unit", s.unit);
  h5::attr(group_, "scenario_path", s.path);
  h5::attr(group_, "seed", seed);
  h5::attr(group_, "samples", samples);
  h5::attr(group_, "store", store == Store::all ? "all" : store == Store::report ? "report" : "none");
  if (!s.years.empty()) h5::attr(group_, "years", std::span<const int>(s.years));
  for (const Link& l : s.links) {  // linked scenarios' texts, so the file alone reproduces the run
    h5::attr(group_, "link_" + l.name + "_file", l.file);
    h5::attr(group_, "link_" + l.name + "_scenario", l.text);
  }
}

void RunGroup::write_samples(const std::string& name, const std::vector<std::span<const double>>& columns,
                             std::span<const int> years, const std::string& unit) {
  const hsize_t n = columns.empty() ? 0 : columns[0].size();
  if (years.empty()) {
    h5::dataset(samples_.get(), name, columns.at(0), {n}, true);
  } else {  // N × T: column t is year t
    h5::columns(samples_.get(), name, columns);
  }
  const H5Handle ds(H5Dopen2(samples_.get(), name.c_str(), H5P_DEFAULT), H5Dclose, "open samples/" + name);
  h5::attr(ds.get(), "unit", unit);
  if (!years.empty()) h5::attr(ds.get(), "years", years);
}

void RunGroup::write_summary(std::span<const VariableSummary> series, const std::vector<std::string>& sensitivity_inputs,
                             std::uint64_t sensitivity_samples) {
  const VariableSummary& first = series.front();
  const H5Handle g = h5::group(summary_.get(), first.var.name);
  const hid_t id = g.get();
  if (!first.sensitivity.empty() && first.sensitivity.size() == sensitivity_inputs.size()) {
    std::vector<double> rho;
    for (const auto& s : series) rho.insert(rho.end(), s.sensitivity.begin(), s.sensitivity.end());
    std::vector<hsize_t> dims = {sensitivity_inputs.size()};
    if (first.year) dims.insert(dims.begin(), series.size());
    h5::strings(id, "sensitivity_input", sensitivity_inputs);
    h5::dataset(id, "sensitivity", rho, dims);
    h5::attr(id, "sensitivity_samples", sensitivity_samples);
  }
  h5::attr(id, "kind", first.var.input ? "input" : "formula");
  h5::attr(id, "unit", first.var.unit);
  h5::attr(id, "source", first.var.source);
  h5::attr(id, "law", first.var.law);
  h5::attr(id, "reported", std::uint64_t{first.reported});
  h5::attr(id, "stored", std::uint64_t{first.stored});
  // Each statistic: a scalar attribute for an untimed variable, a per-year dataset for a timed one.
  const bool timed = first.year.has_value();
  const auto stat = [&](const std::string& name, auto get) {
    if (!timed) return h5::attr(id, name, static_cast<double>(get(first)));
    std::vector<double> v;
    for (const auto& s : series) v.push_back(static_cast<double>(get(s)));
    h5::dataset(id, name, v, {v.size()});
  };
  if (timed) {
    std::vector<double> years;
    for (const auto& s : series) years.push_back(*s.year);
    h5::dataset(id, "year", years, {years.size()});
  }
  stat("point", [](const VariableSummary& s) { return s.point; });
  if (!timed) {  // counts stay integers where they are scalars
    h5::attr(id, "n", first.moments.n);
    h5::attr(id, "nonfinite", first.moments.nonfinite);
  } else {
    stat("n", [](const VariableSummary& s) { return s.moments.n; });
    stat("nonfinite", [](const VariableSummary& s) { return s.moments.nonfinite; });
  }
  stat("mean", [](const VariableSummary& s) { return s.moments.mean; });
  stat("mean_se", [](const VariableSummary& s) { return s.moments.se(); });
  stat("mean_ci_lo", [](const VariableSummary& s) { return s.moments.mean - k_z95_two_sided * s.moments.se(); });
  stat("mean_ci_hi", [](const VariableSummary& s) { return s.moments.mean + k_z95_two_sided * s.moments.se(); });
  stat("sd", [](const VariableSummary& s) { return s.moments.sd(); });
  stat("min", [](const VariableSummary& s) { return s.moments.min; });
  stat("max", [](const VariableSummary& s) { return s.moments.max; });
  if (first.quantiles.empty()) return;
  std::vector<double> p, value, lo, hi;
  for (const auto& q : first.quantiles) p.push_back(q.p);
  for (const auto& s : series)
    for (const auto& q : s.quantiles) {
      value.push_back(q.value);
      lo.push_back(q.lo);
      hi.push_back(q.hi);
    }
  h5::dataset(id, "quantile_p", p, {p.size()});
  if (first.risk) write_risk(id, *first.risk, first.risk_spec->upper_tail);
  std::vector<hsize_t> dims = {p.size()};
  if (timed) dims.insert(dims.begin(), series.size());
  h5::dataset(id, "quantile", value, dims);
  h5::dataset(id, "quantile_lo", lo, dims);
  h5::dataset(id, "quantile_hi", hi, dims);
}

ResultWriter::ResultWriter(std::string target) : path_(std::move(target)) {
  silence_hdf5();
  file_ = H5Handle(H5Fcreate(path_.temp().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                   fmt::format("create {} (does the directory exist and is it writable?)", path_.temp()));
}

void ResultWriter::write_version() {
  h5::attr(file_.get(), "tamcarlo_version", TAMCARLO_VERSION);
  h5::attr(file_.get(), "format_version", std::uint64_t{2});
}

void ResultWriter::commit() {
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

namespace tamcarlo {

std::vector<std::string> read_strings(const std::string& file, const std::string& path) {
  const H5Handle f = open_file(file);
  const H5Handle ds(H5Dopen2(f.get(), path.c_str(), H5P_DEFAULT), H5Dclose, fmt::format("open {} in {}", path, file));
  const H5Handle space(H5Dget_space(ds.get()), H5Sclose, "get dataspace of " + path);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  const H5Handle type = string_type();
  std::vector<char*> raw(n, nullptr);
  if (n > 0) check(H5Dread(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), "read " + path);
  std::vector<std::string> out;
  for (char* p : raw) {
    out.emplace_back(p ? p : "");
    H5free_memory(p);
  }
  return out;
}

std::vector<std::size_t> read_dims(const std::string& file, const std::string& path) {
  const H5Handle f = open_file(file);
  const H5Handle ds(H5Dopen2(f.get(), path.c_str(), H5P_DEFAULT), H5Dclose, fmt::format("open {} in {}", path, file));
  const H5Handle space(H5Dget_space(ds.get()), H5Sclose, "get dataspace of " + path);
  hsize_t dims[H5S_MAX_RANK];
  const int rank = H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  check(rank, "read the shape of " + path);
  return std::vector<std::size_t>(dims, dims + rank);
}

}  // namespace tamcarlo
