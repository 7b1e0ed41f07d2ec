// HDF5 result files (layout in results/README.md): written under a temporary name and renamed
// when complete; read back for tests and reports. Every HDF5 id is held by a move-only RAII handle.
#pragma once
#include "sim/lang/scenario.hpp"
#include "sim/stats/summary.hpp"

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tamcarlo {

/// Owns one HDF5 id and closes it with the matching H5*close.
class H5Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Handle() = default;
  /// Takes ownership of `id`; throws RunError if id < 0, with `what` in the message.
  H5Handle(hid_t id, Closer close, const std::string& what);
  H5Handle(H5Handle&& o) noexcept;
  H5Handle& operator=(H5Handle&& o) noexcept;
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  ~H5Handle();
  [[nodiscard]] hid_t get() const noexcept { return id_; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// A target path written under "<target>.tmp-<pid>": commit() renames the temporary to the target;
/// destruction without commit() deletes the temporary, so nothing half-written remains.
class AtomicTarget {
 public:
  explicit AtomicTarget(std::string target);
  AtomicTarget(const AtomicTarget&) = delete;
  AtomicTarget& operator=(const AtomicTarget&) = delete;
  ~AtomicTarget();
  [[nodiscard]] const std::string& target() const noexcept { return target_; }
  [[nodiscard]] const std::string& temp() const noexcept { return temp_; }
  /// Renames the (closed) temporary file to the target. Throws RunError.
  void commit();

 private:
  std::string target_, temp_;
  bool committed_ = false;
};

/// Small typed writers over HDF5 ids (attributes, datasets, groups); each throws RunError on failure.
namespace h5 {
/// A new group `name` under `parent`.
[[nodiscard]] H5Handle group(hid_t parent, const std::string& name);
/// A UTF-8 string attribute.
void attr(hid_t obj, const std::string& name, const std::string& value);
/// A float64 attribute.
void attr(hid_t obj, const std::string& name, double value);
/// A uint64 attribute.
void attr(hid_t obj, const std::string& name, std::uint64_t value);
/// An int32 array attribute (e.g. the years of a timeline).
void attr(hid_t obj, const std::string& name, std::span<const int> values);
/// A float64 dataset of shape `dims` (row-major `x`, product of dims = x.size()); chunked for large data.
void dataset(hid_t parent, const std::string& name, std::span<const double> x, std::vector<hsize_t> dims,
             bool chunked = false);
/// A float64 dataset of shape N × C from C columns of N samples each, written column by column
/// through a strided selection (no transposed copy); chunked.
void columns(hid_t parent, const std::string& name, const std::vector<std::span<const double>>& cols);
/// A float64 virtual dataset of shape n × C whose column c is the 1-D dataset at sources[c] (an absolute
/// path in the same file; "" leaves the column NaN): a view, no copy.
void virtual_columns(hid_t parent, const std::string& name, std::uint64_t n, const std::vector<std::string>& sources);
/// A 1-D dataset of UTF-8 strings.
void strings(hid_t parent, const std::string& name, const std::vector<std::string>& values);
}  // namespace h5

/// Sample datasets filled as blocks complete: float64[N], or float64[N × T] for a timed variable,
/// chunked by 65,536 rows and written through hyperslabs, so no column is ever held whole.
class SampleDatasets {
 public:
  /// Creates `name` under `parent`: float64[N] when `years` is empty, else float64[N × years.size()];
  /// `unit` (and `years`) as attributes. Its columns follow those of the datasets added before.
  void add(hid_t parent, const std::string& name, std::uint64_t n, const std::string& unit, std::span<const int> years = {});
  /// Number of columns write() takes.
  [[nodiscard]] std::size_t width() const noexcept { return width_; }
  /// Writes rows [first, first + rows) of every dataset, one span per column in add order. Throws RunError.
  void write(std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& columns);

 private:
  struct Entry {
    H5Handle dataset;
    std::size_t columns = 1;
    bool matrix = false;
    std::string name;
  };
  std::vector<Entry> entries_;
  std::size_t width_ = 0;
};

/// One scenario's run inside a result file: attributes, `samples/` and `summary/` (layout in results/README.md).
class RunGroup {
 public:
  /// Creates `samples` and `summary` under `group` (which the caller keeps open).
  explicit RunGroup(hid_t group);
  /// Attributes: scenario (file text), scenario_name/title/unit/path, seed, samples, store, years (if any).
  void write_run(const Scenario& s, std::uint64_t seed, std::uint64_t samples, Store store);
  /// The samples/ group (for SampleDatasets).
  [[nodiscard]] hid_t samples() const noexcept { return samples_.get(); }
  /// samples/<name>: float64[N] for an untimed variable, float64[N × T] for a timed one (one column
  /// per year); `unit` (and `years`) as attributes.
  void write_samples(const std::string& name, const std::vector<std::span<const double>>& columns,
                     std::span<const int> years, const std::string& unit);
  /// summary/<name> from one variable's series: scalar attributes for an untimed variable; for a timed
  /// one, a `year` dataset and per-year datasets (mean[T], quantile[T × 9], ...).
  /// With sensitivities, also `sensitivity_input` (string[I]) and `sensitivity` (float64[I], or [T, I]).
  void write_summary(std::span<const VariableSummary> series, const std::vector<std::string>& sensitivity_inputs = {},
                     std::uint64_t sensitivity_samples = 0);

 private:
  hid_t group_;
  H5Handle samples_, summary_;
};

/// Writes one result file: everything goes to "<target>.tmp-<pid>", renamed to target by commit().
/// Destroying an uncommitted writer deletes the temporary file, so nothing half-written remains.
class ResultWriter {
 public:
  /// Creates the temporary file next to `target` (the directory must exist). Throws RunError.
  explicit ResultWriter(std::string target);
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;

  /// The file's root group.
  [[nodiscard]] hid_t root() const noexcept { return file_.get(); }
  /// Root attributes format_version and tamcarlo_version (call once).
  void write_version();
  /// Flushes, closes and renames the file to its target. Throws RunError.
  void commit();
  [[nodiscard]] const std::string& target() const noexcept { return path_.target(); }

 private:
  AtomicTarget path_;  // first member, destroyed last: the file closes before it removes the temporary
  H5Handle file_;
};

/// Reads /samples/<name> of a result file. Throws RunError.
[[nodiscard]] std::vector<double> read_samples(const std::string& file, const std::string& name);
/// Reads a float64 dataset at `path` (e.g. "/summary/market/quantile"), flattened row-major. Throws RunError.
[[nodiscard]] std::vector<double> read_dataset(const std::string& file, const std::string& path);
/// Reads a string attribute of the object at `object` ("/" for the root). Throws RunError.
[[nodiscard]] std::string read_string_attribute(const std::string& file, const std::string& object, const std::string& name);
/// Reads a numeric attribute (stored as float64 or uint64) as double. Throws RunError.
[[nodiscard]] double read_number_attribute(const std::string& file, const std::string& object, const std::string& name);
/// Reads a 1-D dataset of strings. Throws RunError.
[[nodiscard]] std::vector<std::string> read_strings(const std::string& file, const std::string& path);
/// The dimensions of the dataset at `path`. Throws RunError.
[[nodiscard]] std::vector<std::size_t> read_dims(const std::string& file, const std::string& path);

}  // namespace tamcarlo
