// HDF5 result files (layout in results/README.md): written under a temporary name and renamed
// when complete; read back for tests and reports. Every HDF5 id is held by a move-only RAII handle.
#pragma once
#include "sim/scenario.hpp"
#include "sim/summary.hpp"

#include <hdf5.h>

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

/// Writes one result file: everything goes to "<target>.tmp-<pid>", renamed to target by commit().
/// Destroying an uncommitted writer deletes the temporary file, so nothing half-written remains.
class ResultWriter {
 public:
  /// Creates the temporary file next to `target` (the directory must exist). Throws RunError.
  explicit ResultWriter(std::string target);
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;

  /// Root attributes: scenario (file text), scenario_name/title/unit/path, seed, samples, store, tamcarlo_version.
  void write_run(const Scenario& s, std::uint64_t seed, std::uint64_t samples, Store store);
  /// /samples/<name>: float64[N], chunked, with `unit` as an attribute.
  void write_samples(const std::string& name, std::span<const double> x, const std::string& unit);
  /// /summary/<name>: attributes (moments, point, unit, source, law) and quantile datasets.
  void write_summary(const VariableSummary& v);
  /// Flushes, closes and renames the file to its target. Throws RunError.
  void commit();
  [[nodiscard]] const std::string& target() const noexcept { return path_.target(); }

 private:
  AtomicTarget path_;  // first member, destroyed last: the handles below close before it removes the file
  H5Handle file_, samples_, summary_;
};

/// Reads /samples/<name> of a result file. Throws RunError.
[[nodiscard]] std::vector<double> read_samples(const std::string& file, const std::string& name);
/// Reads a 1-D float64 dataset at `path` (e.g. "/summary/market/quantile"). Throws RunError.
[[nodiscard]] std::vector<double> read_dataset(const std::string& file, const std::string& path);
/// Reads a string attribute of the object at `object` ("/" for the root). Throws RunError.
[[nodiscard]] std::string read_string_attribute(const std::string& file, const std::string& object, const std::string& name);
/// Reads a numeric attribute (stored as float64 or uint64) as double. Throws RunError.
[[nodiscard]] double read_number_attribute(const std::string& file, const std::string& object, const std::string& name);

}  // namespace tamcarlo
