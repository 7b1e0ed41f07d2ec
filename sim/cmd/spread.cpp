#include "sim/cmd/spread.hpp"

#include "sim/cmd/run.hpp"
#include "sim/error.hpp"
#include "sim/io/part_file.hpp"
#include "sim/io/results_file.hpp"
#include "sim/io/target.hpp"
#include "sim/io/text.hpp"
#include "sim/random/rng.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/info.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>

namespace tamcarlo {

namespace fs = std::filesystem;

std::pair<std::uint64_t, std::uint64_t> share_of(std::uint64_t blocks, std::uint64_t index, std::uint64_t count) {
  // ⌊i·B/K⌋ without overflow for any B < 2⁶⁴ / 2 (blocks stay far below: N < 2⁶⁴ samples / 4096).
  __extension__ using wide = unsigned __int128;
  const auto at = [&](std::uint64_t i) { return static_cast<std::uint64_t>(static_cast<wide>(blocks) * i / count); };
  return {at(index), at(index + 1)};
}

std::string job_fingerprint(const std::vector<std::string>& texts) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto feed = [&](std::string_view s) {
    const std::uint64_t n = s.size();
    for (int i = 0; i < 8; ++i) {
      h ^= (n >> (8 * i)) & 0xFF;
      h *= 0x100000001b3ULL;
    }
    for (const char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
  };
  feed(TAMCARLO_VERSION);
  feed(std::to_string(k_stream_version));
  for (const auto& t : texts) feed(t);
  return fmt::format("{:016x}", h);
}

std::string checkpoint_path(const std::string& output) { return output + ".checkpoint"; }

std::string shard_path(const std::string& output, const Shard& shard) {
  fs::path p(output);
  if (p.extension() == ".h5") p.replace_extension();
  return fmt::format("{}.part-{}-of-{}.h5", p.string(), shard.index, shard.count);
}

namespace {

// The identity every part and checkpoint of this run records.
PartInfo part_info(const RunOptions& opt, std::uint64_t samples, std::uint64_t stored_columns, const std::string& kind) {
  PartInfo p;
  p.kind = kind;
  p.job = opt.identity.job;
  p.fingerprint = opt.identity.fingerprint;
  p.tamcarlo_version = TAMCARLO_VERSION;
  p.stream_version = k_stream_version;
  p.samples = samples;
  p.store = store_name(opt.store);
  p.stress = opt.identity.stress;
  p.set = opt.identity.set;
  p.stored_columns = stored_columns;
  return p;
}

// Copies every stored row a part holds into the result file, a chunk at a time.
void copy_samples(const PartReader& part, ResultWriter& writer) {
  const PartInfo& p = part.info();
  const std::uint64_t first = p.first_row(), end = p.end_row();
  std::vector<std::vector<double>> columns;
  for (std::uint64_t row = first; row < end; row += k_chunk_blocks * k_block_size) {
    const auto rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_chunk_blocks * k_block_size, end - row));
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

}  // namespace

void remove_checkpoint(const RunOptions& opt) {
  if (opt.output.empty()) return;
  std::error_code ec;
  fs::remove(checkpoint_path(opt.output), ec);
}

std::optional<std::vector<ColumnResult>> stream_into(const BlockSource& source, std::vector<ColumnSpec> specs,
                                                     std::vector<std::size_t> stored, const RunOptions& opt,
                                                     std::uint64_t seed, std::uint64_t samples, ResultWriter* writer,
                                                     StreamTimings* timings) {
  // The sink hands the stored columns in column order; the datasets are written in that order.
  std::sort(stored.begin(), stored.end());
  for (auto& sp : specs) sp.stored = false;
  for (const std::size_t c : stored) specs[c].stored = true;
  if (writer)
    check_disk_space(writer->target(), static_cast<double>(stored.size()) * static_cast<double>(samples) * sizeof(double));
  const std::uint64_t blocks = (samples + k_block_size - 1) / k_block_size;
  const unsigned rank = opt.ranks ? opt.ranks->rank() : 0;
  const unsigned nranks = opt.ranks ? opt.ranks->size() : 1;
  PartInfo info = part_info(opt, samples, stored.size(), opt.shard ? "shard" : "checkpoint");
  info.seed = seed;

  // Where this process's stored rows go: the result file, or a part (a shard's; an MPI rank's, read by rank 0).
  std::unique_ptr<PartWriter> part;
  if (opt.shard) {
    std::tie(info.first_block, info.end_block) = share_of(blocks, opt.shard->index, opt.shard->count);
    info.shard = opt.shard->index;
    info.shards = opt.shard->count;
    part = std::make_unique<PartWriter>(opt.output, info);
  } else if (nranks > 1 && rank > 0 && !stored.empty()) {
    PartInfo mine = info;
    std::tie(mine.first_block, mine.end_block) = share_of(blocks, rank, nranks);
    part = std::make_unique<PartWriter>(fmt::format("{}.rank-{}", opt.output, rank), mine);
  }
  StreamOptions so;
  so.samples = samples;
  so.threads = opt.threads;
  so.progress = opt.progress;
  so.phase = opt.phase;
  so.cancel = opt.cancel;
  so.split_blocks = opt.split_blocks;
  if (!stored.empty() && (writer || part)) {
    if (part)
      so.sink = [p = part.get()](std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& cols) {
        p->write_samples(first, rows, cols);
      };
    else
      so.sink = [writer](std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& cols) {
        writer->write_samples(first, rows, cols);
      };
  }
  Stream stream(source, std::move(specs), std::move(so), timings);

  // A shard: the main pass over its blocks, written as a part; `tamcarlo merge` does the rest.
  if (opt.shard) {
    stream.evaluate(info.first_block, info.end_block);
    part->write_states({stream.take_state()});
    if (opt.cancel && opt.cancel->load()) throw Interrupted();
    part->commit();
    return std::nullopt;
  }

  // A merge: the shards' main pass states in block order, their samples copied; further passes run here.
  if (!opt.parts.empty()) {
    std::vector<std::unique_ptr<PartReader>> readers;
    for (const auto& path : opt.parts) readers.push_back(std::make_unique<PartReader>(path));
    std::sort(readers.begin(), readers.end(), [](const auto& a, const auto& b) { return a->info().shard < b->info().shard; });
    for (const auto& r : readers) {
      const std::vector<std::string> states = r->states();
      if (states.size() != 1)
        throw RunError(fmt::format("{} holds {} pass states where a shard's part holds one (damaged?)", r->path(),
                                   states.size()));
      stream.add_state(states.front());
      if (writer && !stored.empty()) copy_samples(*r, *writer);
    }
    stream.complete();
    stream.run_rest();
    return stream.results();
  }

  // MPI: every pass's blocks shared among the ranks, their states gathered and merged in rank (block) order.
  if (nranks > 1) {
    while (!stream.finished()) {
      const auto [first, end] = share_of(stream.blocks(), rank, nranks);
      stream.evaluate(first, end);
      const std::vector<std::string> all = opt.ranks->all_gather(stream.take_state());
      for (const auto& s : all) stream.add_state(s);
      stream.complete();
    }
    if (part) part->close();
    const std::vector<std::string> paths = opt.ranks->all_gather(part ? part->temp_path() : std::string{});
    if (writer)
      for (unsigned r = 1; r < nranks; ++r)
        if (!paths[r].empty()) copy_samples(PartReader(paths[r]), *writer);
    opt.ranks->barrier();  // ranks > 0 keep their rows until rank 0 has copied them
    return stream.results();
  }

  // One process: checkpoints between rounds of blocks, and resume from one.
  const bool checkpointing = opt.checkpoint_seconds > 0 && !opt.output.empty();
  const std::string checkpoint = checkpoint_path(opt.output);
  std::error_code ec;
  if (!opt.resume && !opt.output.empty() && fs::exists(checkpoint, ec) && opt.notice)
    opt.notice(fmt::format("note: {} holds a checkpoint of an earlier run; this run starts afresh and replaces it "
                           "(--resume would continue it)",
                           checkpoint));
  if (opt.resume && fs::exists(checkpoint, ec)) {
    const PartReader cp(checkpoint);
    PartInfo want = info;
    want.kind = "checkpoint";
    if (std::string why = cp.info().kind != "checkpoint" ? "it is not a checkpoint" : mismatch(cp.info(), want); !why.empty())
      throw UsageError(fmt::format("cannot resume from {}: {}; remove it to start afresh", checkpoint, why));
    const std::vector<std::string> states = cp.states();
    if (states.size() != 1 || cp.info().pass != 0)
      throw RunError(fmt::format("{} holds {} pass states of pass {}; a checkpoint holds one of the sampling pass "
                                 "(damaged?)",
                                 checkpoint, states.size(), cp.info().pass));
    stream.add_state(states.front());
    if (opt.notice)
      opt.notice(fmt::format("resuming from {}: {} of {} blocks done", checkpoint, thousands(stream.state_end()),
                             thousands(stream.blocks())));
    // The stored rows the checkpoint's blocks produced are drawn again (draws depend on the index alone).
    if (!stored.empty()) stream.store_only(0, stream.state_end());
  }
  if (!checkpointing && stream.state_end() == 0) {
    stream.run_rest();
    return stream.results();
  }
  using Clock = std::chrono::steady_clock;
  auto last = Clock::now();
  // Rounds of at least 8 chunks per thread, so a checkpoint boundary costs the threads little idle time.
  const unsigned threads = opt.threads != 0 ? opt.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  const std::uint64_t round =
      checkpointing ? std::max<std::uint64_t>(32, 8 * std::uint64_t{threads}) * k_chunk_blocks : stream.blocks();
  // Checkpoints are written in the sampling pass, where nearly all of a run's time goes; a run killed in a
  // narrowing pass (rare) resumes from the sampling pass's last one. (Keeping a whole pass's state for later
  // checkpoints would cost memory that grows with the collected brackets.)
  while (!stream.finished()) {
    for (std::uint64_t b = stream.state_end(); b < stream.blocks(); b = stream.state_end()) {
      stream.evaluate(b, std::min(stream.blocks(), b + round));
      if (checkpointing && stream.pass() == 0 && stream.state_end() < stream.blocks() &&
          std::chrono::duration<double>(Clock::now() - last).count() >= opt.checkpoint_seconds) {
        write_checkpoint(checkpoint, info, stream);
        last = Clock::now();
      }
    }
    stream.complete();
  }
  return stream.results();
}

}  // namespace tamcarlo
