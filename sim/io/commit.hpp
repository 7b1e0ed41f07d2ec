// Committing results as one unit: a target written under a temporary name and renamed when complete, several
// renames made one through a journal that a later run finishes, a lock so runs writing the same result commit one
// pair at a time, and the removal of temporaries that killed runs left behind.
#pragma once
#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace tamcarlo {

/// A target path written under "<target>.tmp-<pid>": commit() renames the temporary to the target;
/// destruction without commit() deletes the temporary, so nothing half-written remains.
class AtomicTarget {
 public:
  /// Removes a killed run's leftovers of `target` first (remove_abandoned_temporaries), unless it is a `companion`
  /// of a result whose own AtomicTarget removed them (its CSV).
  explicit AtomicTarget(std::string target, bool companion = false);
  AtomicTarget(const AtomicTarget&) = delete;
  AtomicTarget& operator=(const AtomicTarget&) = delete;
  ~AtomicTarget();
  [[nodiscard]] const std::string& target() const noexcept { return target_; }
  [[nodiscard]] const std::string& temp() const noexcept { return temp_; }
  /// Renames the (closed) temporary file to the target. Throws RunError.
  void commit();
  /// Renames every (closed) temporary to its target as one unit, through a journal (commit_together
  /// below); call it under a CommitLock. Throws RunError.
  static void commit_together(std::initializer_list<AtomicTarget*> targets);

 private:
  std::string target_, temp_;
  bool committed_ = false;
};

/// Holds an exclusive lock (flock) on the directory of `target` for its lifetime, so that runs writing
/// the same result commit their HDF5 file and CSV one pair at a time (never one's HDF5 with another's CSV).
class CommitLock {
 public:
  explicit CommitLock(const std::string& target);
  ~CommitLock();
  CommitLock(const CommitLock&) = delete;
  CommitLock& operator=(const CommitLock&) = delete;

 private:
  int fd_ = -1;
};

/// The checkpoint a run writing `output` keeps beside it: "<output>.checkpoint".
[[nodiscard]] std::string checkpoint_path(const std::string& output);

/// The rows MPI rank `rank` (> 0) stores for the result `output`, read by rank 0: "<output>.rank-<rank>".
[[nodiscard]] std::string rank_part_path(const std::string& output, unsigned rank);

/// The journal of a commit to `target`: "<target>.commit".
[[nodiscard]] std::string commit_journal(const std::string& target);

/// Renames each temporary to its target as one unit; call it under a CommitLock. First puts every temporary and the
/// journal on the disk (commit_journal of the first target; NUL-separated file names, written under a temporary name
/// and renamed; every file's write-back started before any is waited for), then renames every pair, then removes the
/// journal. Every temporary must be complete and in the first target's
/// directory, named "<target>.tmp-<pid>". A commit cut short between its renames (SIGKILL, power loss) leaves the
/// journal, and finish_interrupted_commit completes it. Throws RunError.
void commit_together(const std::vector<std::pair<std::string, std::string>>& temp_to_target);

/// When commit_journal(target) exists (a commit cut short between its renames), completes its renames and removes
/// it, so the result and its CSV are the new pair; returns whether it did. Call it under a CommitLock (then no live
/// process is committing). A journal that does not name `target` and its own temporaries is left alone.
bool finish_interrupted_commit(const std::string& target);

/// Under a CommitLock: finishes an interrupted commit to `target` and to its checkpoint (finish_interrupted_commit),
/// then removes the temporaries of `target`, its CSV, its journal, its checkpoint and its MPI ranks' rows
/// ("<name>.tmp-<pid>", "<name>.checkpoint.tmp-<pid>", "<name>.rank-<k>.tmp-<pid>", ...) whose process no longer
/// exists (left by a run killed with SIGKILL); returns how many it removed. A running process's are never touched.
std::size_t remove_abandoned_temporaries(const std::string& target);

}  // namespace tamcarlo
