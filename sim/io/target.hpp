// Output paths: which path a result is written to, and which existing files a run may replace.
// A run never replaces what it did not create: device nodes, FIFOs, sockets, directories and the
// scenario files it reads are refused always; another regular file only with --force.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace tamcarlo {

/// The CSV summary written beside a result file: `target` with its extension replaced by ".csv".
[[nodiscard]] std::string csv_beside(const std::string& target);

/// The path to write the result file `requested` to: a symbolic link is followed to the file it names
/// (a dangling link names the file to create). Throws UsageError when the result or its CSV summary
/// (csv_beside) would replace a non-regular file, one of `inputs`, or, unless `force`, an existing
/// regular file that is not a tamcarlo result; also when `requested` ends in ".csv".
[[nodiscard]] std::string checked_result_target(const std::string& requested, const std::vector<std::string>& inputs,
                                                bool force);

/// Throws RunError when the file system holding `target` has less than `bytes` free (stored samples
/// stream to disk, so a run that cannot fit is refused before it starts, not when the disk fills).
void check_disk_space(const std::string& target, double bytes);

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

/// The journal of a commit to `target`: "<target>.commit".
[[nodiscard]] std::string commit_journal(const std::string& target);

/// Renames each temporary to its target as one unit; call it under a CommitLock. First writes the journal
/// (commit_journal of the first target; NUL-separated file names, written under a temporary name and renamed),
/// then renames every pair, then removes the journal. Every temporary must be complete and in the first target's
/// directory, named "<target>.tmp-<pid>". A commit cut short between its renames (SIGKILL, power loss) leaves the
/// journal, and finish_interrupted_commit completes it. Throws RunError.
void commit_together(const std::vector<std::pair<std::string, std::string>>& temp_to_target);

/// When commit_journal(target) exists (a commit cut short between its renames), completes its renames and removes
/// it, so the result and its CSV are the new pair; returns whether it did. Call it under a CommitLock (then no live
/// process is committing). A journal that does not name `target` and its own temporaries is left alone.
bool finish_interrupted_commit(const std::string& target);

/// Under a CommitLock: finishes an interrupted commit to `target` (finish_interrupted_commit), then removes
/// "<target>.tmp-<pid>" files beside it whose process no longer exists (left by a run killed with SIGKILL);
/// returns how many it removed. A running process's temporaries are never touched.
std::size_t remove_abandoned_temporaries(const std::string& target);

/// True when `path` is a regular file holding a tamcarlo result (HDF5 with a root `tamcarlo_version`) or
/// summary CSV (one of the headers tamcarlo writes).
[[nodiscard]] bool written_by_tamcarlo(const std::string& path);

}  // namespace tamcarlo
