// Runs spread beyond one process: MPI ranks sharing every pass, job-array shards merged afterwards, and
// checkpoints a killed run resumes from. All three hand the streaming engine block ranges and serialized
// pass states (engine/stream.hpp), so every one of them reproduces the single run bit for bit.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tamcarlo {

/// The processes of an MPI run (MPI itself lives in the tamcarlo program, not in this library).
class Ranks {
 public:
  virtual ~Ranks() = default;
  /// This process's rank, 0 … size() − 1.
  [[nodiscard]] virtual unsigned rank() const = 0;
  /// Number of ranks.
  [[nodiscard]] virtual unsigned size() const = 0;
  /// Collective: every rank's `mine`, in rank order.
  [[nodiscard]] virtual std::vector<std::string> all_gather(const std::string& mine) = 0;
  /// Collective: returns once every rank has called it.
  virtual void barrier() = 0;
};

/// `--shard i/K`: shard `index` (0-based) of `count`.
struct Shard {
  std::uint64_t index = 0, count = 1;
};

/// Who a run's parts and checkpoints belong to (recorded in them and checked when they are read).
struct RunIdentity {
  std::string job;                  ///< the scenario or suite file, absolute
  std::string job_as_given;         ///< the same file as the command line named it (what the result records)
  std::string fingerprint;          ///< job_fingerprint
  std::vector<std::string> stress;  ///< --stress names
  std::vector<std::string> set;     ///< --set assignments
};

/// Blocks [first, end) of `blocks` that share `index` of `count` takes: contiguous, in order, covering
/// every block once; empty when count > blocks leaves it none.
[[nodiscard]] std::pair<std::uint64_t, std::uint64_t> share_of(std::uint64_t blocks, std::uint64_t index,
                                                               std::uint64_t count);

/// A 64-bit FNV-1a hash, as 16 hex digits, of `texts` (each length-prefixed) with the tamcarlo and stream
/// versions: what a job's files and result-changing options must match for parts to belong together.
[[nodiscard]] std::string job_fingerprint(const std::vector<std::string>& texts);

/// A shard's part for the result `output`: "<output without .h5>.part-<i>-of-<K>.h5".
[[nodiscard]] std::string shard_path(const std::string& output, const Shard& shard);

}  // namespace tamcarlo
