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
/// regular file that is not a tamcarlo result, or a shard's part when a result is written (`part` false) and a result
/// when a part is (`part` true); also when `requested` ends in ".csv".
[[nodiscard]] std::string checked_result_target(const std::string& requested, const std::vector<std::string>& inputs,
                                                bool force, bool part = false);

/// Throws RunError when the file system holding `target` has less than `bytes` free (stored samples
/// stream to disk, so a run that cannot fit is refused before it starts, not when the disk fills).
void check_disk_space(const std::string& target, double bytes);

/// True when `path` is a regular file holding a tamcarlo result (HDF5 with a root `tamcarlo_version`) or
/// summary CSV (one of the headers tamcarlo writes).
[[nodiscard]] bool written_by_tamcarlo(const std::string& path);

}  // namespace tamcarlo
