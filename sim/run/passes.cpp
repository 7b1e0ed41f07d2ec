#include "sim/run/passes.hpp"

#include "sim/base/error.hpp"
#include "sim/base/number_format.hpp"
#include "sim/base/numeric.hpp"
#include "sim/base/text.hpp"
#include "sim/io/commit.hpp"
#include "sim/io/output_path.hpp"
#include "sim/io/part_file.hpp"
#include "sim/io/results_file.hpp"
#include "sim/random/rng.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/info.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

namespace tamcarlo {

namespace fs = std::filesystem;

namespace {

// The identity every part and checkpoint of this run records.
PartInfo part_info(const RunOptions& opt, std::uint64_t samples, std::uint64_t stored_columns, const std::string& kind) {
  PartInfo p;
  p.kind = kind;
  p.job = opt.how.identity.job;
  p.job_as_given = opt.how.identity.job_as_given;
  p.fingerprint = opt.how.identity.fingerprint;
  p.tamcarlo_version = TAMCARLO_VERSION;
  p.stream_version = k_stream_version;
  p.samples = samples;
  p.store = store_name(opt.what.store);
  p.stress = opt.how.identity.stress;
  p.set = opt.how.identity.set;
  p.stored_columns = stored_columns;
  return p;
}

// Copies every stored row a part holds into the result file, a chunk at a time (a signal stops it between chunks).
void copy_samples(const PartReader& part, ResultWriter& writer, const RunOptions& opt) {
  const PartInfo& p = part.info();
  const std::uint64_t first = p.first_row(), end = p.end_row();
  std::vector<std::vector<double>> columns;
  for (std::uint64_t row = first; row < end; row += k_chunk_blocks * k_block_size) {
    const auto rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_chunk_blocks * k_block_size, end - row));
    opt.check_cancel();
    part.read_samples(row, rows, columns);
    std::vector<std::span<const double>> spans;
    for (const auto& c : columns) spans.emplace_back(c.data(), rows);
    writer.write_samples(row, rows, spans);
  }
}

// Says why a part or checkpoint does not belong to this run, or nothing when it does.
std::string mismatch(const PartInfo& p, const PartInfo& want) {
  if (p.tamcarlo_version != want.tamcarlo_version)
    return fmt::format("it was written by tamcarlo {}, this is {}", p.tamcarlo_version, want.tamcarlo_version);
  if (p.stream_version != want.stream_version)
    return fmt::format("its random streams are version {}, this tamcarlo's are {}", p.stream_version, want.stream_version);
  if (p.seed != want.seed) return fmt::format("it has seed {}, this run {}", p.seed, want.seed);
  if (p.samples != want.samples) return fmt::format("it has {} samples, this run {}", p.samples, want.samples);
  if (p.store != want.store) return fmt::format("it stores `{}`, this run `{}`", p.store, want.store);
  if (p.stress != want.stress || p.set != want.set) return "its --stress or --set options differ from this run's";
  if (p.job != want.job) return fmt::format("it is a run of {}, this is {}", p.job, want.job);
  if (p.fingerprint != want.fingerprint)
    return fmt::format("the text of {} (or of a file it links) has changed since it was written", p.job);
  return {};
}

// A checkpoint: the sampling pass's state over the blocks done so far.
void write_checkpoint(const std::string& path, PartInfo info, const Stream& stream) {
  info.pass = stream.pass();
  info.first_block = 0;
  info.end_block = stream.state_end();
  info.stored_columns = 0;  // a resumed run re-draws the stored samples it needs
  PartWriter w(path, info);
  w.write_states({stream.state()});
  w.commit();
}

// Where a run's stored rows go and what its passes share: the stream, the part this process writes (a shard's;
// an MPI rank's, read by rank 0), the result file.
struct Passes {
  const RunOptions& opt;
  Stream& stream;
  PartInfo info;
  std::unique_ptr<PartWriter> part;
  ResultWriter* writer;
  bool stores;  // some column is stored
};

// A shard: the main pass over its blocks, written as a part; `tamcarlo merge` does the rest.
void run_shard(Passes& p) {
  p.stream.evaluate(p.info.first_block, p.info.end_block);
  p.part->write_states({p.stream.take_state()});
  p.opt.check_cancel();
  p.part->commit();
}

// A merge: the shards' main pass states in block order, their samples copied; further passes run here.
std::vector<ColumnResult> run_merge(Passes& p) {
  std::vector<std::unique_ptr<PartReader>> readers;
  for (const auto& path : p.opt.how.parts) readers.push_back(std::make_unique<PartReader>(path));
  std::sort(readers.begin(), readers.end(), [](const auto& a, const auto& b) { return a->info().shard < b->info().shard; });
  for (const auto& r : readers) {
    const std::vector<std::string> states = r->states();
    if (states.size() != 1)
      throw RunError(fmt::format("{} holds {} pass states where a shard's part holds one (damaged?)", r->path(),
                                 states.size()));
    p.stream.add_state(states.front());
    if (p.writer && p.stores) copy_samples(*r, *p.writer, p.opt);
  }
  p.stream.complete();
  p.stream.run_rest();
  return p.stream.results();
}

// MPI: every pass's blocks shared among the ranks, their states gathered and merged in rank (block) order.
std::vector<ColumnResult> run_ranks(Passes& p) {
  Ranks& ranks = *p.opt.how.ranks;
  while (!p.stream.finished()) {
    const auto [first, end] = share_of(p.stream.blocks(), ranks.rank(), ranks.size());
    p.stream.evaluate(first, end);
    const std::vector<std::string> all = ranks.all_gather(p.stream.take_state());
    for (const auto& s : all) p.stream.add_state(s);
    p.stream.complete();
  }
  if (p.part) p.part->close();
  const std::vector<std::string> paths = ranks.all_gather(p.part ? p.part->temp_path() : std::string{});
  if (p.writer)
    for (unsigned r = 1; r < ranks.size(); ++r)
      if (!paths[r].empty()) copy_samples(PartReader(paths[r]), *p.writer, p.opt);
  ranks.barrier();  // ranks > 0 keep their rows until rank 0 has copied them
  return p.stream.results();
}

// Continues from the checkpoint beside the output (--resume), after checking that it belongs to this run.
void resume_from(Passes& p, const std::string& checkpoint) {
  const PartReader cp(checkpoint);
  PartInfo want = p.info;
  want.kind = "checkpoint";
  if (std::string why = cp.info().kind != "checkpoint" ? "it is not a checkpoint" : mismatch(cp.info(), want); !why.empty())
    throw UsageError(fmt::format("cannot resume from {}: {}; remove it to start afresh", checkpoint, why));
  const std::vector<std::string> states = cp.states();
  if (states.size() != 1 || cp.info().pass != 0)
    throw RunError(fmt::format("{} holds {} pass states of pass {}; a checkpoint holds one of the sampling pass "
                               "(damaged?)",
                               checkpoint, states.size(), cp.info().pass));
  p.stream.add_state(states.front());
  if (p.opt.on.notice)
    p.opt.on.notice(fmt::format("resuming from {}: {} of {} blocks done", checkpoint, thousands(p.stream.state_end()),
                                thousands(p.stream.blocks())));
  // The stored rows the checkpoint's blocks produced are drawn again (draws depend on the index alone).
  if (p.stores) p.stream.store_only(0, p.stream.state_end());
}

// One process: checkpoints between rounds of blocks, and resume from one.
std::vector<ColumnResult> run_local(Passes& p) {
  const RunOptions& opt = p.opt;
  Stream& stream = p.stream;
  const std::string& output = opt.what.output;
  const std::string checkpoint = checkpoint_path(output);
  std::error_code ec;
  const bool occupied = !output.empty() && fs::exists(fs::symlink_status(checkpoint, ec));
  const bool ours = occupied && is_checkpoint(checkpoint);
  // Something else at the checkpoint's path (a user's file, a directory) is left alone, and no checkpoint written.
  bool checkpointing = opt.how.checkpoint_seconds > 0 && !output.empty() && (!occupied || ours);
  if (occupied && !ours && !opt.how.resume && opt.on.notice)  // with --resume, resume_from says what it is
    opt.on.notice(fmt::format("note: {} is not a tamcarlo checkpoint; this run leaves it alone and writes no checkpoint",
                              checkpoint));
  if (!opt.how.resume && ours && opt.on.notice)
    opt.on.notice(fmt::format("note: {} holds a checkpoint of an earlier run; this run starts afresh and replaces it "
                              "(--resume would continue it)",
                              checkpoint));
  if (opt.how.resume && occupied) resume_from(p, checkpoint);
  if (!checkpointing && stream.state_end() == 0) {
    stream.run_rest();
    return stream.results();
  }
  auto last = Clock::now();
  // Rounds of at least 8 chunks per thread, so a checkpoint boundary costs the threads little idle time.
  const unsigned threads = opt.how.threads != 0 ? opt.how.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  const std::uint64_t round =
      checkpointing ? std::max<std::uint64_t>(32, 8 * std::uint64_t{threads}) * k_chunk_blocks : stream.blocks();
  // Checkpoints are written in the sampling pass, where nearly all of a run's time goes; a run killed in a
  // narrowing pass (rare) resumes from the sampling pass's last one. (Keeping a whole pass's state for later
  // checkpoints would cost memory that grows with the collected brackets.)
  while (!stream.finished()) {
    for (std::uint64_t b = stream.state_end(); b < stream.blocks(); b = stream.state_end()) {
      stream.evaluate(b, std::min(stream.blocks(), b + round));
      if (checkpointing && stream.pass() == 0 && stream.state_end() < stream.blocks() &&
          seconds_since(last) >= opt.how.checkpoint_seconds) {
        try {
          write_checkpoint(checkpoint, p.info, stream);
        } catch (const RunError& e) {  // a checkpoint that cannot be written (a full disk) must not end the run
          checkpointing = false;
          if (opt.on.notice)
            opt.on.notice(fmt::format("warning: {}; this run goes on without checkpoints", e.what()));
        }
        last = Clock::now();
      }
    }
    stream.complete();
  }
  return stream.results();
}

// Refuses a pass whose projected time exceeds k_max_pass_seconds, once it has run long enough to project from
// (2 s): -n 1e15 on a laptop is stopped in seconds with the projection, not left to run for years.
class PassClock {
 public:
  explicit PassClock(std::uint64_t samples) : samples_(samples) {}
  // Called with each pass's progress (from worker threads).
  void operator()(std::uint64_t done, std::uint64_t total) {
    const std::lock_guard lock(mutex_);
    if (total != total_ || done < done_) start_ = Clock::now();  // a new pass
    total_ = total;
    done_ = done;
    const double elapsed = seconds_since(start_);
    if (elapsed < 2 || done == 0 || refused_) return;
    const double projected = elapsed * static_cast<double>(total) / static_cast<double>(done);
    if (projected <= k_max_pass_seconds) return;
    refused_ = true;
    throw RunError(fmt::format(
        "-n {}: at this machine's pace ({} samples/s) a pass would take about {}, more than the {} days tamcarlo "
        "allows one process; split the run (--shard i/K on K machines, or mpirun), or use fewer samples (--precision "
        "stops once the CI is as narrow as asked); nothing was written",
        thousands(samples_), format_number(static_cast<double>(done) / elapsed), duration_text(projected),
        k_max_pass_seconds / 86400));
  }

 private:
  static constexpr double k_max_pass_seconds = 7 * 86400.0;
  static std::string duration_text(double s) {
    return s >= 2 * 365 * 86400.0 ? fmt::format("{:.0f} years", s / (365 * 86400.0))
                                  : fmt::format("{:.0f} days", s / 86400.0);
  }
  std::uint64_t samples_, total_ = 0, done_ = 0;
  Clock::time_point start_ = Clock::now();
  bool refused_ = false;
  std::mutex mutex_;
};

// The engine's options from the run's: threads, callbacks, splits, and the sink of the stored columns.
StreamOptions stream_options(const RunOptions& opt, std::uint64_t samples, PartWriter* part, ResultWriter* writer,
                             bool stores) {
  StreamOptions so;
  so.samples = samples;
  so.threads = opt.how.threads;
  so.progress = [clock = std::make_shared<PassClock>(samples), report = opt.on.progress](std::uint64_t done,
                                                                                          std::uint64_t total) {
    if (report) report(done, total);
    (*clock)(done, total);
  };
  so.phase = opt.on.phase;
  so.cancel = opt.on.cancel;
  so.split_blocks = opt.how.split_blocks;
  if (stores && part)
    so.sink = [part](std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& cols) {
      part->write_samples(first, rows, cols);
    };
  else if (stores && writer)
    so.sink = [writer](std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& cols) {
      writer->write_samples(first, rows, cols);
    };
  return so;
}

}  // namespace

bool is_checkpoint(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(path, ec))) return false;
  try {
    return PartReader(path).info().kind == "checkpoint";
  } catch (const std::exception&) {
    return false;  // not HDF5, not tamcarlo's, or unreadable: not ours to remove
  }
}

void remove_checkpoint(const RunOptions& opt) {
  if (opt.what.output.empty()) return;
  const std::string checkpoint = checkpoint_path(opt.what.output);
  std::error_code ec;
  if (is_checkpoint(checkpoint)) fs::remove(checkpoint, ec);
}

std::optional<std::vector<ColumnResult>> stream_passes(const BlockSource& source, std::vector<ColumnSpec> specs,
                                                       std::vector<std::size_t> stored, const RunOptions& opt,
                                                       std::uint64_t seed, std::uint64_t samples, ResultWriter* writer,
                                                       StreamTimings* timings, Capture* capture,
                                                       std::optional<std::size_t> weights) {
  // The sink hands the stored columns in column order; the datasets are written in that order.
  std::sort(stored.begin(), stored.end());
  for (auto& sp : specs) sp.stored = false;
  for (const std::size_t c : stored) specs[c].stored = true;
  if (writer)
    check_disk_space(writer->target(), static_cast<double>(stored.size()) * static_cast<double>(samples) * sizeof(double));
  const std::uint64_t blocks = (samples + k_block_size - 1) / k_block_size;
  const unsigned rank = opt.how.ranks ? opt.how.ranks->rank() : 0;
  const unsigned nranks = opt.how.ranks ? opt.how.ranks->size() : 1;
  PartInfo info = part_info(opt, samples, stored.size(), opt.how.shard ? "shard" : "checkpoint");
  info.seed = seed;

  std::unique_ptr<PartWriter> part;
  if (opt.how.shard) {
    std::tie(info.first_block, info.end_block) = share_of(blocks, opt.how.shard->index, opt.how.shard->count);
    info.shard = opt.how.shard->index;
    info.shards = opt.how.shard->count;
    part = std::make_unique<PartWriter>(opt.what.output, info);
  } else if (nranks > 1 && rank > 0 && !stored.empty()) {
    PartInfo mine = info;
    std::tie(mine.first_block, mine.end_block) = share_of(blocks, rank, nranks);
    part = std::make_unique<PartWriter>(rank_part_path(opt.what.output, rank), mine);
  }
  const bool stores = !stored.empty();
  StreamOptions so = stream_options(opt, samples, part.get(), writer, stores);
  so.capture = capture;
  so.weights = weights;
  Stream stream(source, std::move(specs), std::move(so), timings);
  Passes p{opt, stream, info, std::move(part), writer, stores};
  if (opt.how.shard) {
    run_shard(p);
    return std::nullopt;
  }
  if (!opt.how.parts.empty()) return run_merge(p);
  if (nranks > 1) return run_ranks(p);
  return run_local(p);
}

}  // namespace tamcarlo
