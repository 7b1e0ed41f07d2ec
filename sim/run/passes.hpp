// A block source's passes run here or spread beyond this process: a job-array shard (its part written), a merge of
// the shards' parts, MPI ranks sharing every pass, or one process with checkpoints and resume. Every mode hands the
// streaming engine block ranges and serialized pass states, so each gives the single run's bits.
#pragma once
#include "sim/engine/stream.hpp"
#include "sim/run/options.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace tamcarlo {

class ResultWriter;

/// Streams `source` (`samples` samples under `seed`) with opt's threads, callbacks and splits, in the mode opt.how
/// says; the `stored` columns go to `writer`'s sample datasets (which must be in that column order), after a
/// disk-space check, or to the part this process writes; `capture` (when given) keeps columns of the first samples
/// as the main pass evaluates them; `weights` is a conditioned run's weight column (StreamOptions::weights). Returns the statistics, or nothing for a shard (its part is written).
[[nodiscard]] std::optional<std::vector<ColumnResult>> stream_passes(const BlockSource& source,
                                                                     std::vector<ColumnSpec> specs,
                                                                     std::vector<std::size_t> stored,
                                                                     const RunOptions& opt, std::uint64_t seed,
                                                                     std::uint64_t samples, ResultWriter* writer,
                                                                     StreamTimings* timings, Capture* capture = nullptr,
                                                                     std::optional<std::size_t> weights = std::nullopt);

/// Removes the checkpoint of a run writing `opt.what.output`, once its result is committed (only a tamcarlo checkpoint:
/// anything else at that path is left alone).
void remove_checkpoint(const RunOptions& opt);
/// True when `path` is a regular file holding a tamcarlo checkpoint (a part file of kind "checkpoint").
[[nodiscard]] bool is_checkpoint(const std::string& path);

}  // namespace tamcarlo
