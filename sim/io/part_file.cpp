#include "sim/io/part_file.hpp"

#include "sim/base/error.hpp"
#include "sim/io/h5.hpp"
#include "sim/io/results_file.hpp"
#include "sim/io/seal.hpp"
#include "sim/stats/statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace tamcarlo {

namespace {

constexpr std::uint64_t k_part_format = 3;  // 2: pass states hold design replicates' moments; 3: sealed (io/seal)


std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "\n") + s;
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < s.size()) {
    const std::size_t nl = s.find('\n', at);
    out.push_back(s.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return out;
}

// A root attribute of a part, refused by name when it is missing.
std::string string_attr(hid_t obj, const std::string& name, const std::string& path) {
  if (!h5::has_attr(obj, name)) throw RunError(fmt::format("{} is not a tamcarlo part: it has no `{}`", path, name));
  return h5::read_string_attr(obj, name);
}

std::uint64_t number_attr(hid_t obj, const std::string& name, const std::string& path) {
  if (!h5::has_attr(obj, name)) throw RunError(fmt::format("{} is not a tamcarlo part: it has no `{}`", path, name));
  return h5::read_uint_attr(obj, name);
}

}  // namespace

std::uint64_t PartInfo::first_row() const noexcept { return std::min(first_block * k_block_size, samples); }
std::uint64_t PartInfo::end_row() const noexcept { return std::min(end_block * k_block_size, samples); }

struct PartWriter::Impl {
  AtomicTarget path;
  PartInfo info;
  H5Handle file;
  H5Handle samples;  // rows of the part × stored columns
  bool sealed = false;
  explicit Impl(std::string target) : path(std::move(target)) {}
};

PartWriter::PartWriter(std::string target, const PartInfo& info) : impl_(std::make_unique<Impl>(std::move(target))) {
  Impl& f = *impl_;
  f.info = info;
  f.file = h5::create_file(f.path.temp(), f.path.target());
  const hid_t root = f.file.get();
  h5::attr(root, "kind", "part");
  h5::attr(root, "part_kind", info.kind);
  h5::attr(root, "part_format", k_part_format);
  h5::attr(root, "job", info.job);
  h5::attr(root, "job_as_given", info.job_as_given);
  h5::attr(root, "fingerprint", info.fingerprint);
  h5::attr(root, "tamcarlo_version", info.tamcarlo_version);
  h5::attr(root, "stream_version", info.stream_version);
  h5::attr(root, "seed", info.seed);
  h5::attr(root, "samples", info.samples);
  h5::attr(root, "shard", info.shard);
  h5::attr(root, "shards", info.shards);
  h5::attr(root, "first_block", info.first_block);
  h5::attr(root, "end_block", info.end_block);
  h5::attr(root, "pass", info.pass);
  h5::attr(root, "store", info.store);
  h5::attr(root, "stress", joined(info.stress));
  h5::attr(root, "set", joined(info.set));
  h5::attr(root, "stored_columns", info.stored_columns);
  const std::uint64_t rows = info.end_row() - info.first_row();
  if (info.stored_columns > 0 && rows > 0) {
    const hsize_t dims[2] = {rows, info.stored_columns};
    const H5Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose, "create a dataspace");
    const H5Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
    const hsize_t chunk[2] = {std::min<hsize_t>(rows, hsize_t{1} << 16), 1};
    h5_check(H5Pset_chunk(props.get(), 2, chunk), "set chunking");
    f.samples = H5Handle(H5Dcreate2(root, "samples", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                         H5Dclose, "create the samples of " + f.path.target());
  }
}

PartWriter::~PartWriter() = default;

void PartWriter::write_samples(std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& columns) {
  Impl& f = *impl_;
  h5_silence();
  const std::uint64_t base = f.info.first_row();
  if (first < base || first + rows > f.info.end_row() || columns.size() != f.info.stored_columns)
    throw RunError(fmt::format("rows [{}, {}) lie outside the part {}", first, first + rows, f.path.target()));
  if (rows == 0) return;
  const hsize_t mdims[1] = {rows};
  const H5Handle memory(H5Screate_simple(1, mdims, nullptr), H5Sclose, "create a dataspace");
  const H5Handle space(H5Dget_space(f.samples.get()), H5Sclose, "get the samples' dataspace");
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const hsize_t start[2] = {first - base, c}, count[2] = {rows, 1};
    h5_check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "select rows");
    if (H5Dwrite(f.samples.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT, columns[c].data()) < 0)
      throw write_failure(f.path.target(), "HDF5 could not write the samples");
  }
}

void PartWriter::write_states(const std::vector<std::string>& states) {
  Impl& f = *impl_;
  const H5Handle g = h5::group(f.file.get(), "state");
  for (std::size_t i = 0; i < states.size(); ++i) {
    const hsize_t dims[1] = {states[i].size()};
    const H5Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "create a dataspace");
    const H5Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
    if (!states[i].empty()) {
      const hsize_t chunk[1] = {std::min<hsize_t>(states[i].size(), hsize_t{1} << 20)};
      h5_check(H5Pset_chunk(props.get(), 1, chunk), "set chunking");
    }
    const H5Handle d(H5Dcreate2(g.get(), std::to_string(i).c_str(), H5T_STD_U8LE, space.get(), H5P_DEFAULT, props.get(),
                                H5P_DEFAULT),
                     H5Dclose, "create a pass state");
    if (!states[i].empty() &&
        H5Dwrite(d.get(), H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, states[i].data()) < 0)
      throw write_failure(f.path.target(), "HDF5 could not write a pass state");
  }
}

void PartWriter::close() {
  Impl& f = *impl_;
  f.samples = H5Handle();
  if (f.file.get() >= 0 && (H5Fflush(f.file.get(), H5F_SCOPE_GLOBAL) < 0 || H5Fclose(f.file.release()) < 0))
    throw write_failure(f.path.target(), "HDF5 could not flush its data");
  if (!f.sealed) seal_file(f.path.temp(), f.path.target());
  f.sealed = true;
}

void PartWriter::commit() {
  close();
  impl_->path.commit();
}

const std::string& PartWriter::temp_path() const noexcept { return impl_->path.temp(); }

struct PartReader::Impl {
  std::string path;
  PartInfo info;
  H5Handle file;
};

PartReader::PartReader(std::string path) : impl_(std::make_unique<Impl>()) {
  Impl& f = *impl_;
  f.path = std::move(path);
  h5_silence();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(f.path, ec)) throw RunError(fmt::format("{}: no such file", f.path));
  std::string why;
  const SealState seal = check_seal(f.path, &why);
  const std::string remedy = "run that shard again (or copy it again), or start the run anew without --resume";
  if (seal == SealState::damaged) throw RunError(damaged_message(f.path, why, remedy));
  if (H5Fis_hdf5(f.path.c_str()) <= 0)
    throw RunError(fmt::format("{} is not an HDF5 file (truncated, or not a tamcarlo part)", f.path));
  f.file = H5Handle(H5Fopen(f.path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                    fmt::format("open {} (its HDF5 structure is damaged)", f.path));
  const hid_t root = f.file.get();
  if (!h5::has_attr(root, "part_format") || string_attr(root, "kind", f.path) != "part")
    throw UsageError(h5::has_attr(root, "format_version")
                         ? fmt::format("{} is the result of a whole run, not a shard's part; merge joins the parts that "
                                       "`tamcarlo run --shard i/K` writes",
                                       f.path)
                         : fmt::format("{} is not a tamcarlo part (written by `tamcarlo run --shard`)", f.path));
  const std::uint64_t format = number_attr(root, "part_format", f.path);
  if (format >= 3 && seal != SealState::sealed)
    throw RunError(damaged_message(f.path, "its SHA-256 seal (its first 512 bytes) is missing", remedy));
  if (format != k_part_format)
    throw RunError(fmt::format("{} is a part of format {}; this tamcarlo reads format {} (finish or merge it with "
                               "the tamcarlo that wrote it, or run it again)",
                               f.path, format, k_part_format));
  PartInfo& p = f.info;
  p.kind = string_attr(root, "part_kind", f.path);
  p.job = string_attr(root, "job", f.path);
  if (h5::has_attr(root, "job_as_given")) p.job_as_given = h5::read_string_attr(root, "job_as_given");
  p.fingerprint = string_attr(root, "fingerprint", f.path);
  p.tamcarlo_version = string_attr(root, "tamcarlo_version", f.path);
  p.stream_version = number_attr(root, "stream_version", f.path);
  p.seed = number_attr(root, "seed", f.path);
  p.samples = number_attr(root, "samples", f.path);
  p.shard = number_attr(root, "shard", f.path);
  p.shards = number_attr(root, "shards", f.path);
  p.first_block = number_attr(root, "first_block", f.path);
  p.end_block = number_attr(root, "end_block", f.path);
  p.pass = number_attr(root, "pass", f.path);
  p.store = string_attr(root, "store", f.path);
  p.stress = split_lines(string_attr(root, "stress", f.path));
  p.set = split_lines(string_attr(root, "set", f.path));
  p.stored_columns = number_attr(root, "stored_columns", f.path);
  if (p.first_block > p.end_block || p.shard >= p.shards)
    throw RunError(fmt::format("{} is damaged: blocks [{}, {}), shard {} of {}", f.path, p.first_block, p.end_block,
                               p.shard, p.shards));
}

PartReader::~PartReader() = default;
const PartInfo& PartReader::info() const noexcept { return impl_->info; }
const std::string& PartReader::path() const noexcept { return impl_->path; }

std::vector<std::string> PartReader::states() const {
  const Impl& f = *impl_;
  std::vector<std::string> out;
  if (H5Lexists(f.file.get(), "state", H5P_DEFAULT) <= 0) throw RunError(fmt::format("{} holds no pass state", f.path));
  for (std::size_t i = 0;; ++i) {
    const std::string name = "state/" + std::to_string(i);
    if (H5Lexists(f.file.get(), name.c_str(), H5P_DEFAULT) <= 0) break;
    const H5Handle d(H5Dopen2(f.file.get(), name.c_str(), H5P_DEFAULT), H5Dclose, "open a pass state of " + f.path);
    const H5Handle space(H5Dget_space(d.get()), H5Sclose, "get a dataspace");
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    std::string bytes(static_cast<std::size_t>(std::max<hssize_t>(0, n)), '\0');
    if (n > 0 && H5Dread(d.get(), H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0)
      throw RunError(fmt::format("cannot read a pass state of {} (damaged?)", f.path));
    out.push_back(std::move(bytes));
  }
  return out;
}

void PartReader::read_samples(std::uint64_t first, std::size_t rows, std::vector<std::vector<double>>& columns) const {
  const Impl& f = *impl_;
  const PartInfo& p = f.info;
  const std::uint64_t base = p.first_row();
  if (first < base || first + rows > p.end_row())
    throw RunError(fmt::format("{} does not hold rows [{}, {})", f.path, first, first + rows));
  columns.resize(p.stored_columns);
  if (rows == 0 || p.stored_columns == 0) return;
  if (H5Lexists(f.file.get(), "samples", H5P_DEFAULT) <= 0) throw RunError(fmt::format("{} holds no samples", f.path));
  const H5Handle d(H5Dopen2(f.file.get(), "samples", H5P_DEFAULT), H5Dclose, "open the samples of " + f.path);
  const H5Handle space(H5Dget_space(d.get()), H5Sclose, "get a dataspace");
  hsize_t dims[2] = {0, 0};
  if (H5Sget_simple_extent_ndims(space.get()) != 2 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) != 2 ||
      dims[0] != p.end_row() - base || dims[1] != p.stored_columns)
    throw RunError(fmt::format("{}'s samples have the wrong shape (damaged?)", f.path));
  const hsize_t mdims[1] = {rows};
  const H5Handle memory(H5Screate_simple(1, mdims, nullptr), H5Sclose, "create a dataspace");
  for (std::size_t c = 0; c < p.stored_columns; ++c) {
    columns[c].resize(rows);
    const hsize_t start[2] = {first - base, c}, count[2] = {rows, 1};
    h5_check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "select rows");
    if (H5Dread(d.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT, columns[c].data()) < 0)
      throw RunError(fmt::format("cannot read the samples of {} (damaged?)", f.path));
  }
}

}  // namespace tamcarlo
