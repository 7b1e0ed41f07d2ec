// HDF5 result files, the one home of their layout (results/README.md): written under a temporary
// name and renamed when complete; read back for tests. No HDF5 id leaves sim/io (see io/h5.hpp).
#pragma once
#include "sim/lang/scenario.hpp"
#include "sim/lang/suite.hpp"
#include "sim/stats/run_summary.hpp"
#include "sim/io/commit.hpp"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tamcarlo {

class ResultWriter;

/// The result files' format_version: 3 since results are sealed (io/seal: SHA-256 in a 512-byte user block), 4 since
/// every dataset's axes are named netCDF-4 dimensions (xarray opens any group); readers take 2 to 4 alike.
inline constexpr std::uint64_t k_result_format = 4;

/// What the Sobol' indices of a run refer to: its inputs, base samples, batches, correlated inputs.
struct SobolMeta {
  std::vector<std::string> inputs;
  std::uint64_t samples = 0;
  unsigned batches = 0;
  bool correlated = false;
  std::uint64_t shapley_permutations = 0;  ///< > 0: the Shapley effects of correlated inputs are written too
};

/// One scenario's run inside a result file: attributes, `samples/` and `summary/`. A light handle;
/// valid while its ResultWriter is.
class RunGroup {
 public:
  /// Attributes: scenario (file text), scenario_name/title/unit/path, seed, samples, store, years (if any).
  void write_run(const Scenario& s, std::uint64_t seed, std::uint64_t samples, Store store);
  /// Attribute `precision`: the --precision rounds and what each target reached.
  void write_precision(const std::string& report);
  /// Attributes of a stressed case: stress, description, overrides ("input = law" lines).
  void write_stress(const std::string& name, const std::string& description, const std::string& overrides);
  /// Attributes of a suite cell: section, market, share, fx, year (if timed), stars_<rating>.
  void write_cell(const SuiteMember& m, const std::vector<std::string>& star_names);
  /// Adds samples/<name>, float64[N] (or float64[N × T] with `years`), filled by ResultWriter::write_samples.
  void add_samples(const std::string& name, std::uint64_t n, const std::string& unit, std::span<const int> years = {});
  /// Adds samples/<name> for a constant: a scalar float64 dataset holding its one value, attribute constant = 1.
  void add_constant(const std::string& name, double value, const std::string& unit);
  /// A conditioned run's `evidence/weight` dataset, float64[N]: each stored sample's weight (its likelihood rounded
  /// to a multiple of k_weight_unit; NaN where a figure's variable was not finite), filled like the sample datasets
  /// (added after them: the weight column comes last).
  void add_weights(std::uint64_t n);
  /// summary/<name> from one variable's series: scalar attributes for an untimed variable; for a timed
  /// one, a `year` dataset and per-year datasets (mean[T], quantile[T × 9], ...).
  /// With sensitivities, also `sensitivity_input` (string[I]), `sensitivity` (float64[I], or [T, I]) and the swings
  /// `swing_low`, `swing_high`, `swing_se` (the same shape, in the variable's unit).
  /// With Sobol' indices (--sobol), also `sobol/`: `input` (string[I]), `first`, `total` and their `_lo`, `_hi`
  /// (float64[I]); attributes samples, batches, correlated_inputs (and year for a timed variable's last year).
  void write_summary(std::span<const VariableSummary> series, const std::vector<std::string>& sensitivity_inputs = {},
                     std::uint64_t sensitivity_samples = 0, const SobolMeta& sobol = {});
  /// Every variable's summary (write_summary for each variable's run of series).
  void write_summaries(const RunSummary& r);
  /// <group>/decision: the options' means and P(best), EVPI, and each question's EVPPI (inputs, then groups).
  void write_decision(const DecisionSummary& d);
  /// A conditioned run's `evidence` group: per figure its label, variable, year, kind, observed/sd or between, unit
  /// and source; attributes ess, samples, unjudged, too_few, mean_likelihood (± its 95% CI), samples_for_target_ess.
  void write_evidence(const EvidenceSummary& e);
  /// delta/: `series` (labels), `mean`, `mean_se` of the paired differences stressed − base (held series).
  void write_delta(const RunSummary& stressed, const std::vector<Moments>& delta);

 private:
  friend class ResultWriter;
  RunGroup(ResultWriter& file, std::size_t index) : file_(&file), index_(index) {}
  ResultWriter* file_;
  std::size_t index_;  // into the writer's groups
};

/// Writes one result file: everything goes to "<target>.tmp-<pid>", renamed to target by commit().
/// Destroying an uncommitted writer deletes the temporary file, so nothing half-written remains.
class ResultWriter {
 public:
  /// Creates the temporary file next to `target` (the directory must exist) with the root attributes
  /// format_version, tamcarlo_version and kind ("scenario" or "suite"); `longest_list` is the most strings one
  /// string-list attribute will hold (a scenario's warnings or report order: past h5::k_compact_strings the file is
  /// written in the HDF5 1.8 object format, which holds it). Throws RunError.
  ResultWriter(std::string target, const std::string& kind, std::size_t longest_list = 0);
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;
  ~ResultWriter();

  /// The run group at `path` ("" = the root, "stress/bear", "cells/cs_finance"; parents created).
  [[nodiscard]] RunGroup run(const std::string& path);
  /// Root attributes of a suite: suite (text), suite_name/title/unit/path, seed, samples.
  void write_suite(const Suite& s, std::uint64_t seed, std::uint64_t samples);
  /// Adds matrix/columns/<name>, float64[N], filled by write_samples (the matrix's joint samples).
  void add_matrix_column(const std::string& name, std::uint64_t n, const std::string& unit);
  /// /matrix: the ranked cells' statistics; with `joint`, market and share as N × C views (rank order)
  /// of matrix/columns/market_<cell> and share_<cell>.
  void write_matrix(const Suite& suite, const SuiteSummary& out, bool joint);
  /// /portfolio: the portfolio MOIC's quantiles and risk, rank correlations and tail contributions.
  void write_portfolio(const PortfolioStats& p, double level);

  /// Columns the sample datasets take (in the order they were added).
  [[nodiscard]] std::size_t sample_columns() const noexcept;
  /// Writes rows [first, first + rows) of every sample dataset, one span per column. Throws RunError.
  void write_samples(std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& columns);
  /// Closes every object, flushes and closes the file and seals it (io/seal), still under its temporary name.
  /// Throws RunError.
  void close();
  /// Closes the file (close()) if still open and renames it to its target, together with `beside`'s
  /// temporary when given (AtomicTarget::commit_together). Throws RunError.
  void commit(AtomicTarget* beside = nullptr);
  [[nodiscard]] const std::string& target() const noexcept;

  struct Impl;

 private:
  void write_rows(std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& columns);
  friend class RunGroup;
  std::unique_ptr<Impl> impl_;
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
