// Partial results: what one job-array shard, one MPI rank or one checkpoint holds of a run — the
// serialized pass states of its blocks and, when samples are stored, its rows of them (results/README.md).
// `tamcarlo merge` and `--resume` read them back; the parts' identity says whether they belong together.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tamcarlo {

/// Who a part belongs to, and what it covers.
struct PartInfo {
  std::string kind;                 ///< "shard" or "checkpoint"
  std::string job;                  ///< the scenario or suite file, as an absolute path
  std::string job_as_given;         ///< the same file as the command line named it ("" in parts of tamcarlo ≤ 0.2.1)
  std::string fingerprint;          ///< job_fingerprint: the files' texts and every option that changes results
  std::string tamcarlo_version;
  std::uint64_t stream_version = 0;
  std::uint64_t seed = 0, samples = 0;
  std::uint64_t shard = 0, shards = 1;           ///< shard `shard` (0-based) of `shards`
  std::uint64_t first_block = 0, end_block = 0;  ///< blocks its last state and its samples cover
  std::uint64_t pass = 0;           ///< the pass its state belongs to (0, the sampling pass)
  std::string store;                ///< "all", "report" or "none"
  std::vector<std::string> stress;  ///< the run's --stress names
  std::vector<std::string> set;     ///< the run's --set assignments
  std::uint64_t stored_columns = 0; ///< columns of its samples
  /// First sample its blocks cover: first_block · k_block_size, at most samples.
  [[nodiscard]] std::uint64_t first_row() const noexcept;
  /// One past the last sample its blocks cover: end_block · k_block_size, at most samples.
  [[nodiscard]] std::uint64_t end_row() const noexcept;
};

/// Writes one part under "<target>.tmp-<pid>", renamed into place by commit().
class PartWriter {
 public:
  /// Creates the temporary file; `info` becomes its root attributes. Throws RunError.
  PartWriter(std::string target, const PartInfo& info);
  PartWriter(const PartWriter&) = delete;
  PartWriter& operator=(const PartWriter&) = delete;
  ~PartWriter();
  /// Rows [first, first + rows) of the run's stored columns (within the part's blocks). Throws RunError.
  void write_samples(std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& columns);
  /// The serialized pass states (a shard and a checkpoint hold one: the sampling pass over their blocks).
  void write_states(const std::vector<std::string>& states);
  /// Closes the file and renames it to its target (atomically replacing a previous one). Throws RunError.
  void commit();
  /// Closes the file, leaving it at its temporary name (another process reads it there); it is still removed
  /// on destruction. Throws RunError.
  void close();
  /// The temporary file's path.
  [[nodiscard]] const std::string& temp_path() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// One part read back.
class PartReader {
 public:
  /// Opens `path`; throws RunError naming it when it is missing, not HDF5, or not a tamcarlo part.
  explicit PartReader(std::string path);
  PartReader(const PartReader&) = delete;
  PartReader& operator=(const PartReader&) = delete;
  ~PartReader();
  [[nodiscard]] const PartInfo& info() const noexcept;
  [[nodiscard]] const std::string& path() const noexcept;
  /// The serialized pass states, in the order write_states wrote them.
  [[nodiscard]] std::vector<std::string> states() const;
  /// Rows [first, first + rows) of every stored column (first counts from the run's first sample).
  void read_samples(std::uint64_t first, std::size_t rows, std::vector<std::vector<double>>& columns) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tamcarlo
