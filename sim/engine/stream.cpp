#include "sim/engine/stream.hpp"
#include "sim/base/numeric.hpp"

#include "sim/base/error.hpp"
#include "sim/random/design.hpp"

#include <fmt/format.h>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_reduce.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

namespace tamcarlo {

namespace {


constexpr std::size_t k_sum_powers = 4;   // Σ(x − c)^1..4 per region
constexpr std::uint32_t k_bins = 4096;
constexpr double k_bracket_z = 4;         // pilot brackets reach ±4σ (a miss costs a further pass, not accuracy)    // histogram bins per bracket that is too large to collect

// Per-region sums of one column over a block range, merged elementwise (through BlockTree).
struct Sums {
  std::vector<double> v;
  void merge(const Sums& o) {
    if (v.empty()) v = o.v;
    else
      for (std::size_t i = 0; i < v.size(); ++i) v[i] += o.v[i];
  }
};

// The moments of each design replicate a block range touches (ReplicateSplit), replicates rising; adjacent
// ranges merge by joining the replicate they share.
struct ReplicateMoments {
  std::vector<std::pair<std::uint32_t, Moments>> parts;
  void merge(const ReplicateMoments& o) {
    for (const auto& [r, m] : o.parts) {
      if (!parts.empty() && parts.back().first == r) parts.back().second.merge(m);
      else parts.emplace_back(r, m);
    }
  }
};

// What one pass does for one column.
struct ColumnPass {
  bool moments = false;
  bool active = false;          // has a layout
  Layout layout;
  bool sums = false;            // region sums about `shift` (and of the companions)
  double shift = 0;
  std::vector<std::size_t> companions;
  std::optional<HistogramLayout> hist;  // main pass: the column's chart histogram, placed by the pilot
  bool weighted = false;        // moments, counts, sums and histogram under the weights
  [[nodiscard]] std::size_t stride() const { return k_sum_powers + companions.size(); }
};

// Adds b's counts to a (the same size, or a empty: a becomes b).
void add_counts(std::vector<std::uint64_t>& a, std::vector<std::uint64_t>&& b) {
  if (a.empty()) {
    a = std::move(b);
    return;
  }
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] += b[i];
}

// A pass's mergeable results over a block range.
struct PassState {
  std::uint64_t first_block = 0, end_block = 0;  // the blocks it covers
  std::vector<BlockTree<Moments>> moments;
  std::vector<BlockTree<WeightedMoments>> wmoments;     // a weighted column's (empty trees otherwise)
  std::vector<BlockTree<ReplicateMoments>> replicates;  // a design run's: per column (empty trees otherwise)
  std::vector<BlockTree<Sums>> sums;
  std::vector<LayoutCounts> counts;
  std::vector<std::vector<std::uint64_t>> hist;  // per column: its chart histogram's slot counts (main pass)

  [[nodiscard]] bool empty() const { return first_block == end_block; }
  void join(PassState&& right) {
    if (right.empty()) return;
    if (empty()) {
      *this = std::move(right);
      return;
    }
    if (right.first_block != end_block)
      throw RunError(fmt::format("pass states joined out of order: blocks [{}, {}) after [{}, {})", right.first_block,
                                 right.end_block, first_block, end_block));
    end_block = right.end_block;
    for (std::size_t c = 0; c < moments.size(); ++c) {
      moments[c].join(std::move(right.moments[c]));
      wmoments[c].join(std::move(right.wmoments[c]));
      replicates[c].join(std::move(right.replicates[c]));
      sums[c].join(std::move(right.sums[c]));
      counts[c].merge(std::move(right.counts[c]));
      add_counts(hist[c], std::move(right.hist[c]));
    }
  }
};

// --- serialization (a pass's state as bytes, for checkpoints and other processes) ---

struct Writer {
  std::string out;
  template <class T>
  void put(const T& x) {
    out.append(reinterpret_cast<const char*>(&x), sizeof(T));
  }
  template <class T>
  void put_vector(const std::vector<T>& v) {
    put<std::uint64_t>(v.size());
    if (!v.empty()) out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
};

struct Reader {
  const std::string& in;
  std::size_t at = 0;
  template <class T>
  T get() {
    if (at + sizeof(T) > in.size()) throw RunError("a serialized pass state is truncated");
    T x;
    std::memcpy(&x, in.data() + at, sizeof(T));
    at += sizeof(T);
    return x;
  }
  template <class T>
  std::vector<T> get_vector() {
    const auto n = get<std::uint64_t>();
    if (n > (in.size() - at) / sizeof(T)) throw RunError("a serialized pass state is truncated");
    std::vector<T> v(n);
    if (n > 0) std::memcpy(v.data(), in.data() + at, n * sizeof(T));
    at += n * sizeof(T);
    return v;
  }
};

// A tree of plain (trivially copyable) summaries: its node count, then each node's level, index and value.
template <class T>
void put_tree(Writer& w, const BlockTree<T>& tree) {
  w.put<std::uint64_t>(tree.nodes().size());
  for (const auto& n : tree.nodes()) {
    w.put(n.level);
    w.put(n.index);
    w.put(n.value);
  }
}

std::string serialize(const PassState& s) {
  Writer w;
  w.put<std::uint64_t>(s.first_block);
  w.put<std::uint64_t>(s.end_block);
  w.put<std::uint64_t>(s.moments.size());
  for (std::size_t c = 0; c < s.moments.size(); ++c) {
    put_tree(w, s.moments[c]);
    put_tree(w, s.wmoments[c]);
    w.put<std::uint64_t>(s.replicates[c].nodes().size());
    for (const auto& n : s.replicates[c].nodes()) {
      w.put(n.level);
      w.put(n.index);
      w.put<std::uint64_t>(n.value.parts.size());
      for (const auto& [r, m] : n.value.parts) {
        w.put(r);
        w.put(m);
      }
    }
    w.put<std::uint64_t>(s.sums[c].nodes().size());
    for (const auto& n : s.sums[c].nodes()) {
      w.put(n.level);
      w.put(n.index);
      w.put_vector(n.value.v);
    }
    w.put_vector(s.counts[c].region);
    w.put_vector(s.counts[c].bin);
    w.put<std::uint64_t>(s.counts[c].collected.size());
    for (const auto& v : s.counts[c].collected) w.put_vector(v);
    w.put_vector(s.counts[c].region_units);
    w.put_vector(s.counts[c].bin_units);
    w.put<std::uint64_t>(s.counts[c].collected_units.size());
    for (const auto& v : s.counts[c].collected_units) w.put_vector(v);
    w.put_vector(s.hist[c]);
  }
  return w.out;
}

std::size_t checked_count(std::uint64_t n, std::size_t bytes) {
  if (n > bytes) throw RunError("a serialized pass state is damaged (a count exceeds its size)");
  return static_cast<std::size_t>(n);
}
std::uint32_t checked_level(std::uint32_t level) {
  if (level >= 48) throw RunError("a serialized pass state is damaged (a tree level)");
  return level;
}

template <class T>
BlockTree<T> get_tree(Reader& r, std::size_t bytes) {
  std::vector<typename BlockTree<T>::Node> nodes(checked_count(r.get<std::uint64_t>(), bytes));
  for (auto& n : nodes) {
    n.level = checked_level(r.get<std::uint32_t>());
    n.index = r.get<std::uint64_t>();
    n.value = r.get<T>();
  }
  return BlockTree<T>::from_nodes(std::move(nodes));
}

PassState deserialize(const std::string& bytes) try {
  Reader r{bytes};
  PassState s;
  s.first_block = r.get<std::uint64_t>();
  s.end_block = r.get<std::uint64_t>();
  const auto width = r.get<std::uint64_t>();
  if (width > bytes.size()) throw RunError("a serialized pass state is damaged (its width)");
  s.moments.resize(width);
  s.wmoments.resize(width);
  s.replicates.resize(width);
  s.sums.resize(width);
  s.counts.resize(width);
  s.hist.resize(width);
  for (std::size_t c = 0; c < width; ++c) {
    s.moments[c] = get_tree<Moments>(r, bytes.size());
    s.wmoments[c] = get_tree<WeightedMoments>(r, bytes.size());
    std::vector<BlockTree<ReplicateMoments>::Node> rn(checked_count(r.get<std::uint64_t>(), bytes.size()));
    for (auto& n : rn) {
      n.level = checked_level(r.get<std::uint32_t>());
      n.index = r.get<std::uint64_t>();
      n.value.parts.resize(checked_count(r.get<std::uint64_t>(), bytes.size()));
      for (auto& [rep, m] : n.value.parts) {
        rep = r.get<std::uint32_t>();
        m = r.get<Moments>();
      }
    }
    s.replicates[c] = BlockTree<ReplicateMoments>::from_nodes(std::move(rn));
    std::vector<BlockTree<Sums>::Node> sn(checked_count(r.get<std::uint64_t>(), bytes.size()));
    for (auto& n : sn) {
      n.level = checked_level(r.get<std::uint32_t>());
      n.index = r.get<std::uint64_t>();
      n.value.v = r.get_vector<double>();
    }
    s.sums[c] = BlockTree<Sums>::from_nodes(std::move(sn));
    s.counts[c].region = r.get_vector<std::uint64_t>();
    s.counts[c].bin = r.get_vector<std::uint64_t>();
    s.counts[c].collected.resize(checked_count(r.get<std::uint64_t>(), bytes.size()));
    for (auto& v : s.counts[c].collected) v = r.get_vector<double>();
    s.counts[c].region_units = r.get_vector<std::uint64_t>();
    s.counts[c].bin_units = r.get_vector<std::uint64_t>();
    s.counts[c].collected_units.resize(checked_count(r.get<std::uint64_t>(), bytes.size()));
    for (auto& v : s.counts[c].collected_units) v = r.get_vector<std::uint64_t>();
    s.hist[c] = r.get_vector<std::uint64_t>();
  }
  if (r.at != bytes.size()) throw RunError("a serialized pass state has trailing bytes");
  return s;
} catch (const std::logic_error&) {  // BlockTree: nodes out of order
  throw RunError("a serialized pass state is damaged (its blocks are out of order)");
}

// --- one pass over a block range ---

struct PassContext {
  const BlockSource& source;
  const std::vector<ColumnPass>& columns;
  std::uint64_t samples = 0;
  const StreamOptions& opt;
  const SampleSink* sink = nullptr;        // first pass only
  std::vector<std::size_t> stored;         // columns handed to the sink
  std::atomic<std::uint64_t>* done = nullptr;
  std::mutex* sink_mutex = nullptr;
  std::uint64_t first_block = 0, end_block = 0;  // the range this process evaluates
  std::optional<ReplicateSplit> split;     // a design run's replicates
  Capture* capture = nullptr;              // first pass only
  std::optional<std::size_t> weights;      // the likelihood column of weighted columns
  std::vector<bool> needed;                // the columns this pass reads (empty: all)
  Capture* replay = nullptr;               // first pass only: the columns kept for the further passes
};

// Columns a further pass would re-draw, kept by the main pass instead (a Capture of every sample, within
// k_replay_values): a worst-tail allocation's column and companions (summed below the VaR in the pass after the VaR is
// known). A further pass replays them where every block of its range was kept here and it reads no other column
// (`needed`; empty: all): the same values, so the same bits, without evaluating the model again.
bool replays(const Capture& kept, std::uint64_t first, std::uint64_t end, const std::vector<bool>& needed) {
  if (kept.columns.empty() || needed.empty()) return false;
  for (std::uint64_t b = first; b < end; ++b)
    if (b >= kept.kept.size() || kept.kept[b] == 0) return false;
  for (std::size_t c = 0; c < needed.size(); ++c)
    if (needed[c] && std::find(kept.columns.begin(), kept.columns.end(), c) == kept.columns.end()) return false;
  return true;
}

// The kept columns as a source (every other column null: a further pass that `replays` does not read them).
class ReplaySource : public BlockSource {
 public:
  ReplaySource(const BlockSource& inner, const Capture& kept) : inner_(inner), kept_(kept) {}
  [[nodiscard]] std::size_t width() const override { return inner_.width(); }
  [[nodiscard]] std::uint32_t replicates() const override { return inner_.replicates(); }
  [[nodiscard]] std::unique_ptr<BlockEvaluator> evaluator() const override { return std::make_unique<Eval>(kept_); }

 private:
  class Eval : public BlockEvaluator {
   public:
    explicit Eval(const Capture& kept) : kept_(kept) {}
    void evaluate(std::uint64_t first, std::size_t, std::vector<const double*>& columns) override {
      std::fill(columns.begin(), columns.end(), nullptr);
      for (std::size_t j = 0; j < kept_.columns.size(); ++j) columns[kept_.columns[j]] = kept_.values[j].get() + first;
    }

   private:
    const Capture& kept_;
  };
  const BlockSource& inner_;
  const Capture& kept_;
};

// Copies block b's rows (from `first`) of the captured columns into `cap` (a block of its own: no other thread
// writes there).
void keep_block(Capture& cap, std::uint64_t b, std::uint64_t first, std::size_t rows,
                const std::vector<const double*>& cols) {
  if (first >= cap.rows) return;
  const auto keep = static_cast<std::size_t>(std::min<std::uint64_t>(rows, cap.rows - first));
  for (std::size_t j = 0; j < cap.columns.size(); ++j)
    std::copy(cols[cap.columns[j]], cols[cap.columns[j]] + keep, cap.values[j].get() + first);
  cap.kept[b] = 1;
}

// The columns a pass reads: every column with moments, a histogram or a layout, each such column's companions, the
// weights, and (main pass) the stored and captured ones. Empty when that is all of them.
std::vector<bool> needed_columns(const PassContext& ctx) {
  std::vector<bool> needed(ctx.columns.size(), false);
  for (std::size_t c = 0; c < ctx.columns.size(); ++c) {
    const ColumnPass& cp = ctx.columns[c];
    if (!cp.moments && !cp.active && !cp.hist) continue;
    needed[c] = true;
    for (const std::size_t k : cp.companions) needed.at(k) = true;
  }
  if (ctx.weights) needed.at(*ctx.weights) = true;
  for (const std::size_t c : ctx.stored) needed.at(c) = true;
  if (ctx.capture)
    for (const std::size_t c : ctx.capture->columns) needed.at(c) = true;
  if (ctx.replay)
    for (const std::size_t c : ctx.replay->columns) needed.at(c) = true;
  if (std::all_of(needed.begin(), needed.end(), [](bool b) { return b; })) needed.clear();
  return needed;
}

// One worker thread's scratch for a pass: its evaluator, column pointers, layout counts and stored-column buffers.
struct ThreadScratch {
  std::unique_ptr<BlockEvaluator> eval;
  std::vector<const double*> cols;
  std::vector<LayoutCounts> counts;
  std::vector<std::optional<HistogramCounter>> hist;  // per column with a chart histogram: its counter
  std::vector<std::vector<double>> buffer;  // per stored column: one chunk
  std::vector<double> block_sums;
  std::vector<std::uint64_t> units;  // the block's weight units (a conditioned run)
};

// The moments of each replicate's part of the block of samples [first, first + x.size()).
ReplicateMoments replicate_moments(const ReplicateSplit& split, std::uint64_t first, std::span<const double> x) {
  ReplicateMoments out;
  std::size_t j = 0;
  while (j < x.size()) {
    const std::uint32_t r = split.replicate_of(first + j);
    const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(split.start(r + 1) - (first + j), x.size() - j));
    out.parts.emplace_back(r, Moments::of(x.subspan(j, count)));
    j += count;
  }
  return out;
}

class PassBody {
 public:
  PassBody(const PassContext& ctx, tbb::enumerable_thread_specific<ThreadScratch>& locals)
      : moments_(ctx.columns.size()), wmoments_(ctx.columns.size()), replicates_(ctx.columns.size()),
        sums_(ctx.columns.size()), ctx_(ctx),
        locals_(locals) {}
  PassBody(PassBody& o, tbb::split) : PassBody(o.ctx_, o.locals_) {}

  void operator()(const tbb::blocked_range<std::uint64_t>& chunks) {
    for (std::uint64_t chunk = chunks.begin(); chunk != chunks.end(); ++chunk) run_chunk(chunk);
  }
  void join(PassBody& right) {
    cancelled_ = cancelled_ || right.cancelled_;
    if (cancelled_) return;
    for (std::size_t c = 0; c < moments_.size(); ++c) {
      moments_[c].join(std::move(right.moments_[c]));
      wmoments_[c].join(std::move(right.wmoments_[c]));
      replicates_[c].join(std::move(right.replicates_[c]));
      sums_[c].join(std::move(right.sums_[c]));
    }
  }
  [[nodiscard]] bool cancelled() const { return cancelled_; }
  std::vector<BlockTree<Moments>> moments_;
  std::vector<BlockTree<WeightedMoments>> wmoments_;
  std::vector<BlockTree<ReplicateMoments>> replicates_;
  std::vector<BlockTree<Sums>> sums_;

 private:
  void run_chunk(std::uint64_t chunk);
  void run_weighted(std::size_t c, std::uint64_t b, std::span<const double> x, ThreadScratch& local);
  const PassContext& ctx_;
  tbb::enumerable_thread_specific<ThreadScratch>& locals_;
  bool cancelled_ = false;
};

void PassBody::run_chunk(std::uint64_t chunk) {
  if (cancelled_ || (ctx_.opt.cancel && ctx_.opt.cancel->load(std::memory_order_relaxed))) {
    cancelled_ = true;
    return;
  }
  ThreadScratch& local = locals_.local();
  const std::size_t width = ctx_.columns.size();
  if (!local.eval) {
    local.eval = ctx_.source.evaluator();
    if (!ctx_.needed.empty()) local.eval->need_only(ctx_.needed);
    local.cols.resize(width);
    for (const auto& c : ctx_.columns) {
      local.counts.push_back(c.active ? LayoutCounts::for_layout(c.layout, c.weighted) : LayoutCounts{});
      // Every value collected (a short run without a pilot): room for the whole run at once, so the values are
      // written once, not copied at each doubling (only the pages written are touched: about 1 MB at most).
      if (c.active && !c.weighted && c.layout.collects_every_value())
        local.counts.back().collected[0].reserve(static_cast<std::size_t>(ctx_.samples));
      local.hist.emplace_back();
      if (c.hist) local.hist.back().emplace(*c.hist);
    }
    // A chunk of rows per stored column, no more than the run has (20,000 columns of a 1,000-sample run: 160 MB,
    // not 10 GB).
    const auto rows = static_cast<std::size_t>(std::min<std::uint64_t>(ctx_.samples, k_chunk_blocks * k_block_size));
    local.buffer.assign(ctx_.stored.size(), std::vector<double>(rows));
  }
  const std::uint64_t n = ctx_.samples;
  const std::uint64_t b_first = std::max(chunk * k_chunk_blocks, ctx_.first_block);
  const std::uint64_t b_end = std::min((chunk + 1) * k_chunk_blocks, ctx_.end_block);
  const std::uint64_t chunk_first = b_first * k_block_size;
  std::size_t chunk_rows = 0;
  for (std::uint64_t b = b_first; b < b_end; ++b) {
    const std::uint64_t first = b * k_block_size;
    if (first >= n) break;
    const auto rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, n - first));
    local.eval->evaluate(first, rows, local.cols);
    for (Capture* cap : {ctx_.capture, ctx_.replay})
      if (cap) keep_block(*cap, b, first, rows, local.cols);
    if (ctx_.weights) {
      local.units.resize(rows);
      const double* w = local.cols[*ctx_.weights];
      for (std::size_t i = 0; i < rows; ++i) local.units[i] = weight_units(w[i]);
    }
    for (std::size_t c = 0; c < width; ++c) {
      const ColumnPass& cp = ctx_.columns[c];
      const std::span<const double> x(local.cols[c], rows);
      if (cp.weighted) {
        run_weighted(c, b, x, local);
        continue;
      }
      bool all_finite = false;
      if (cp.moments) {
        const Moments m = Moments::of(x);
        all_finite = m.nonfinite == 0;
        moments_[c].add(b, m);
        if (ctx_.split) replicates_[c].add(b, replicate_moments(*ctx_.split, first, x));
      }
      if (cp.hist) local.hist[c]->add(x, all_finite);
      if (!cp.active) continue;
      if (!cp.sums) {
        count_into(cp.layout, x, local.counts[c]);
        continue;
      }
      // Counts and region sums together: Σ(x − c)^1..4 and each companion's Σ, per region.
      const std::size_t stride = cp.stride();
      Sums leaf;
      leaf.v.assign(cp.layout.starts.size() * stride, 0.0);
      LayoutCounts& counts = local.counts[c];
      for (std::size_t i = 0; i < rows; ++i) {
        const double v = x[i];
        if (!std::isfinite(v)) continue;
        const std::uint64_t key = order_key(v);
        const std::size_t r = cp.layout.region(key);
        ++counts.region[r];
        if (cp.layout.bins[r] != 0)
          ++counts.bin[cp.layout.bin_offset[r] + (key - cp.layout.starts[r]) / cp.layout.bin_width[r]];
        else if (cp.layout.collect[r] != 0)
          counts.collected[cp.layout.collect_slot[r]].push_back(v);
        double* s = leaf.v.data() + r * stride;
        const double d = v - cp.shift, d2 = d * d;
        s[0] += d;
        s[1] += d2;
        s[2] += d2 * d;
        s[3] += d2 * d2;
        for (std::size_t k = 0; k < cp.companions.size(); ++k) s[k_sum_powers + k] += local.cols[cp.companions[k]][i];
      }
      sums_[c].add(b, std::move(leaf));
    }
    for (std::size_t k = 0; k < ctx_.stored.size(); ++k)
      std::copy(local.cols[ctx_.stored[k]], local.cols[ctx_.stored[k]] + rows, local.buffer[k].begin() + static_cast<std::ptrdiff_t>(chunk_rows));
    chunk_rows += rows;
    const std::uint64_t now = ctx_.done->fetch_add(rows, std::memory_order_relaxed) + rows;
    if (ctx_.opt.progress) ctx_.opt.progress(now, n);
  }
  if (ctx_.sink && !ctx_.stored.empty() && chunk_rows > 0) {
    std::vector<std::span<const double>> spans;
    for (const auto& buf : local.buffer) spans.emplace_back(buf.data(), chunk_rows);
    const std::lock_guard lock(*ctx_.sink_mutex);
    (*ctx_.sink)(chunk_first, chunk_rows, spans);
  }
}

// A weighted column's block: weighted moments, then (as the unweighted path) histogram, counts and region sums, each
// value counted with its weight units (values of weight 0 are left out of all but the moments).
void PassBody::run_weighted(std::size_t c, std::uint64_t b, std::span<const double> x, ThreadScratch& local) {
  const ColumnPass& cp = ctx_.columns[c];
  const std::uint64_t* units = local.units.data();
  if (cp.moments) wmoments_[c].add(b, WeightedMoments::of(x, std::span<const std::uint64_t>(units, x.size())));
  if (cp.hist) local.hist[c]->add_weighted(x, units);
  if (!cp.active) return;
  if (!cp.sums) {
    count_into_weighted(cp.layout, x, units, local.counts[c]);
    return;
  }
  const std::size_t stride = cp.stride();
  Sums leaf;
  leaf.v.assign(cp.layout.starts.size() * stride, 0.0);
  LayoutCounts& counts = local.counts[c];
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    if (units[i] == 0 || !std::isfinite(v)) continue;
    const std::size_t r = count_weighted(cp.layout, v, order_key(v), units[i], counts);
    const double w = static_cast<double>(units[i]) * k_weight_unit;
    double* s = leaf.v.data() + r * stride;
    const double d = v - cp.shift, d2 = d * d;
    s[0] += w * d;
    s[1] += w * d2;
    s[2] += w * d2 * d;
    s[3] += w * d2 * d2;
    for (std::size_t k = 0; k < cp.companions.size(); ++k) s[k_sum_powers + k] += w * local.cols[cp.companions[k]][i];
  }
  sums_[c].add(b, std::move(leaf));
}

// Runs one pass over blocks [first_block, end_block).
PassState run_range(PassContext ctx, std::uint64_t first_block, std::uint64_t end_block) {
  ctx.first_block = first_block;
  ctx.end_block = end_block;
  ctx.needed = needed_columns(ctx);
  tbb::enumerable_thread_specific<ThreadScratch> locals;
  PassBody body(ctx, locals);
  const std::uint64_t first_chunk = first_block / k_chunk_blocks;
  const std::uint64_t end_chunk = (end_block + k_chunk_blocks - 1) / k_chunk_blocks;
  tbb::parallel_deterministic_reduce(tbb::blocked_range<std::uint64_t>(first_chunk, end_chunk, 1), body,
                                     tbb::simple_partitioner());
  if (body.cancelled() || (ctx.opt.cancel && ctx.opt.cancel->load())) throw Interrupted();
  PassState s;
  s.first_block = first_block;
  s.end_block = end_block;
  s.moments = std::move(body.moments_);
  s.wmoments = std::move(body.wmoments_);
  s.replicates = std::move(body.replicates_);
  s.sums = std::move(body.sums_);
  s.counts.resize(ctx.columns.size());
  s.hist.resize(ctx.columns.size());
  for (std::size_t c = 0; c < ctx.columns.size(); ++c) {
    if (ctx.columns[c].hist) {
      s.hist[c].assign(ctx.columns[c].hist->slots(), 0);
      for (auto& l : locals)
        if (c < l.hist.size() && l.hist[c]) add_counts(s.hist[c], l.hist[c]->counts());
    }
    if (!ctx.columns[c].active) continue;
    s.counts[c] = LayoutCounts::for_layout(ctx.columns[c].layout, ctx.columns[c].weighted);
    for (auto& l : locals) s.counts[c].merge(std::move(l.counts[c]));
  }
  return s;
}

// --- what each column needs, and how far a pass got ---

// Probabilities whose quantiles a column needs: its own, then its risk VaRs.
std::vector<double> all_probs(const ColumnSpec& s) {
  std::vector<double> p = s.probs;
  if (s.risk)
    for (const double a : s.risk->levels) p.push_back(s.risk->upper_tail ? 1 - a : a);
  return p;
}

std::uint64_t allocation_tail(double level, std::uint64_t n) {
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(level * static_cast<double>(n))));
}

std::vector<std::uint64_t> needed_ranks(const ColumnSpec& s, std::uint64_t n) {
  std::vector<std::uint64_t> r;
  if (n == 0) return r;
  for (const double p : all_probs(s)) {
    const QuantileRanks q = quantile_ranks(n, p);
    r.insert(r.end(), {q.below, q.above, q.lo, q.hi});
  }
  if (s.allocation) r.push_back(allocation_tail(s.allocation->level, n) - 1);
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  return r;
}

// A column's progress across passes.
struct ColumnState {
  const ColumnSpec* spec = nullptr;
  bool ordered = false;                  // needs order statistics
  bool sums = false;                     // needs region sums (CVaR, semi-deviation, allocation)
  std::vector<std::uint64_t> fixed_cuts; // thresholds and a fixed semi-deviation target
  std::vector<double> pilot;             // sorted finite pilot values
  double shift = 0;
  Moments moments;
  std::map<std::uint64_t, double> known;  // rank (weighted: weight unit) → exact value
  bool done = false;
  bool weighted = false;                 // a conditioned run's column: ranks are weight units
  WeightedMoments wm;                    // weighted: after the main pass
  std::vector<double> posterior;         // weighted: the pilot resampled by weight, sorted (brackets, histogram)
  double pilot_ess = 0;                  // weighted: the pilot's effective sample size
  // Nothing to take statistics of: no finite value (weighted: no weight).
  [[nodiscard]] bool empty() const { return weighted ? wm.units == 0 : moments.n == 0; }
};

// The ranks the statistics of a weighted column need: each probability's weight unit and its CI's (no allocation:
// a conditioned run has no portfolio).
std::vector<std::uint64_t> needed_units(const ColumnSpec& s, std::uint64_t units, double ess) {
  std::vector<std::uint64_t> r;
  if (units == 0) return r;
  for (const double p : all_probs(s)) {
    const WeightedQuantileRanks q = weighted_quantile_ranks(units, ess, p);
    r.insert(r.end(), {q.at, q.lo, q.hi});
  }
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  return r;
}

// The ranks column `st` still needs, once its moments are known.
std::vector<std::uint64_t> needed(const ColumnState& st) {
  return st.weighted ? needed_units(*st.spec, st.wm.units, st.wm.ess()) : needed_ranks(*st.spec, st.moments.n);
}

// The weight of region r (a count, or a weighted column's units in weight).
double region_mass(const LayoutCounts& counts, std::size_t r) {
  return counts.weighted() ? static_cast<double>(counts.region_units[r]) * k_weight_unit
                           : static_cast<double>(counts.region[r]);
}

// The weight of value i of collected region `slot` (1 unweighted).
double collected_mass(const LayoutCounts& counts, std::size_t slot, std::size_t i) {
  if (!counts.weighted()) return 1;
  const auto& u = counts.collected_units[slot];
  const bool cumulative = slot < counts.cumulative.size() && counts.cumulative[slot] != 0;
  const std::uint64_t units = cumulative && i > 0 ? u[i] - u[i - 1] : u[i];
  return static_cast<double>(units) * k_weight_unit;
}

// The quantile estimate at p once every rank it needs is known.
QuantileEstimate estimate_at(const ColumnState& st, double p) {
  const std::uint64_t n = st.moments.n;
  if (st.empty()) return {p, std::nan(""), std::nan(""), std::nan("")};
  if (st.weighted) {
    const WeightedQuantileRanks q = weighted_quantile_ranks(st.wm.units, st.wm.ess(), p);
    return {p, st.known.at(q.at), st.known.at(q.lo), st.known.at(q.hi)};
  }
  const QuantileRanks q = quantile_ranks(n, p);
  const double a = st.known.at(q.below), b = st.known.at(q.above);
  return {p, a + q.frac * (b - a), st.known.at(q.lo), st.known.at(q.hi)};
}

// Cuts that make the tail sums exact once the quantiles are known: each VaR and the allocation's value
// alone in a region (or collected), and the mean target of a semi-deviation. Empty when `layout` serves.
std::vector<std::uint64_t> tail_cuts(const ColumnState& st, const Layout& layout) {
  std::vector<std::uint64_t> cuts;
  const ColumnSpec& s = *st.spec;
  if (st.empty()) return cuts;
  // v's key alone in a region; for a VaR, a collected region serves as well (its values are at hand).
  const auto alone = [&](double v, bool collected_serves) {
    const std::uint64_t k = order_key(v);
    const std::size_t r = layout.region(k);
    if ((collected_serves && layout.collect[r] != 0) || (layout.starts[r] == k && layout.last_key(r) == k)) return;
    cuts.push_back(k);
    if (k != k_max_key) cuts.push_back(k + 1);
  };
  if (s.risk) {
    for (const double a : s.risk->levels) alone(estimate_at(st, s.risk->upper_tail ? 1 - a : a).value, true);
    if (!s.risk->downside_target && s.risk->below.empty()) {  // the mean: a cut, or in a collected region
      const std::uint64_t k = order_key(st.moments.mean);
      if (!std::binary_search(layout.starts.begin(), layout.starts.end(), k) && layout.collect[layout.region(k)] == 0)
        cuts.push_back(k);
    }
  }
  if (s.allocation) alone(st.known.at(allocation_tail(s.allocation->level, st.moments.n) - 1), false);
  return cuts;
}

// Σ over regions r in [from, to) of Σ((x − T)^power) from Σ(x − c)^1..4 and the counts (power 1, 2 or 4).
double shifted_sum(const Sums& sums, const LayoutCounts& counts, std::size_t stride, std::size_t from, std::size_t to,
                   double shift, double target, int power) {
  const double e = shift - target;  // x − T = (x − c) + e
  double total = 0;
  for (std::size_t r = from; r < to; ++r) {
    const double* s = sums.v.data() + r * stride;
    const double n = region_mass(counts, r);
    switch (power) {
      case 1: total += s[0] + e * n; break;
      case 2: total += s[1] + 2 * e * s[0] + e * e * n; break;
      default: total += s[3] + 4 * e * s[2] + 6 * e * e * s[1] + 4 * e * e * e * s[0] + e * e * e * e * n;
    }
  }
  return total;
}

// The statistics of a finished column, from its last pass.
void finish_column(const ColumnState& st, const Layout& layout, const LayoutCounts& counts, const Sums& sums,
                   std::size_t stride, ColumnResult& out) {
  const ColumnSpec& s = *st.spec;
  const std::uint64_t n = st.moments.n;
  const double nan = std::nan("");
  const auto estimate = [&](double p) { return estimate_at(st, p); };
  out.quantiles.clear();
  for (const double p : s.probs) out.quantiles.push_back(estimate(p));
  const auto count_below = [&](double t) {  // values < t: the regions before t's cut
    const std::size_t r = layout.region(order_key(t));
    std::uint64_t k = 0;
    for (std::size_t i = 0; i < r; ++i) k += counts.region[i];
    return k;
  };
  const auto share_below = [&](double t) {  // weighted: the weight of values < t, as a share
    const std::size_t r = layout.region(order_key(t));
    std::uint64_t k = 0;
    for (std::size_t i = 0; i < r; ++i) k += counts.region_units[i];
    return static_cast<double>(k) / static_cast<double>(st.wm.units);
  };
  // Weighted: Σw for the means and the effective size for their SEs; else n for both.
  const double dn = st.weighted ? st.wm.weight() : static_cast<double>(n);
  const double en = st.weighted ? st.wm.ess() : static_cast<double>(n);
  const bool empty = st.empty();
  if (s.risk) {
    const RiskSpec& rs = *s.risk;
    RiskStats risk;
    for (const double alpha : rs.levels) {
      TailRisk t;
      t.level = alpha;
      t.var = estimate(rs.upper_tail ? 1 - alpha : alpha);
      const double q = t.var.value;
      if (empty) {
        t.cvar = t.cvar_se = nan;
        risk.tails.push_back(t);
        continue;
      }
      // Σ d and Σ d², d = min(x − q, 0) (lower) or max(x − q, 0) (upper): whole regions beyond q's, then
      // the collected values of q's own region.
      const std::size_t rq = layout.region(order_key(q));
      const std::size_t from = rs.upper_tail ? rq + 1 : 0, to = rs.upper_tail ? layout.starts.size() : rq;
      double sum = shifted_sum(sums, counts, stride, from, to, st.shift, q, 1);
      double sum2 = shifted_sum(sums, counts, stride, from, to, st.shift, q, 2);
      if (layout.collect[rq] != 0) {
        const std::size_t slot = layout.collect_slot[rq];
        const auto& values = counts.collected[slot];
        for (std::size_t i = 0; i < values.size(); ++i) {
          const double v = values[i];
          if (rs.upper_tail ? v > q : v < q) {
            const double w = collected_mass(counts, slot, i);
            sum += w * (v - q);
            sum2 += w * (v - q) * (v - q);
          }
        }
      }
      const double mean_d = sum / dn, var_d = std::max(0.0, sum2 / dn - mean_d * mean_d);
      t.cvar = q + mean_d / alpha;
      t.cvar_se = std::sqrt(var_d) / (alpha * std::sqrt(en));
      risk.tails.push_back(t);
    }
    for (const double t : rs.below)
      risk.thresholds.push_back({t, true, st.weighted ? weighted_wilson(empty ? nan : share_below(t), en)
                                                      : wilson(count_below(t), n)});
    for (const double t : rs.at_least)
      risk.thresholds.push_back({t, false, st.weighted ? weighted_wilson(empty ? nan : 1 - share_below(t), en)
                                                       : wilson(n - count_below(t), n)});
    risk.downside_target = rs.downside_target ? *rs.downside_target : !rs.below.empty() ? rs.below.front() : st.moments.mean;
    if (!empty) {
      // Whole regions beyond the target (a cut, or inside a collected region whose values are at hand).
      const double target = risk.downside_target;
      const std::size_t rt = layout.region(order_key(target));
      const bool at_hand = layout.collect[rt] != 0 && layout.starts[rt] != order_key(target);
      const std::size_t from = rs.upper_tail ? rt + (at_hand ? 1 : 0) : 0, to = rs.upper_tail ? layout.starts.size() : rt;
      double s2 = shifted_sum(sums, counts, stride, from, to, st.shift, target, 2);
      double s4 = shifted_sum(sums, counts, stride, from, to, st.shift, target, 4);
      if (at_hand) {
        const std::size_t slot = layout.collect_slot[rt];
        const auto& values = counts.collected[slot];
        for (std::size_t i = 0; i < values.size(); ++i) {
          const double v = values[i];
          if (rs.upper_tail ? v > target : v < target) {
            const double w = collected_mass(counts, slot, i), d2 = (v - target) * (v - target);
            s2 += w * d2;
            s4 += w * d2 * d2;
          }
        }
      }
      const double my = s2 / dn, m4 = s4 / dn;
      const double vy = std::max(0.0, m4 - my * my);
      risk.semi_deviation = std::sqrt(std::max(0.0, my));
      risk.semi_deviation_se = my > 0 ? std::sqrt(vy / en) / (2 * risk.semi_deviation) : 0;
    } else {
      risk.semi_deviation = risk.semi_deviation_se = nan;
    }
    out.risk = std::move(risk);
  }
  if (s.allocation) {
    if (st.weighted) throw std::logic_error("finish_column: an allocation under weights (a conditioned portfolio)");
    Allocation a;
    const std::size_t h = s.allocation->companions.size();
    a.contribution.assign(h, nan);
    if (n > 0) {
      const std::uint64_t tail = allocation_tail(s.allocation->level, n);
      a.var = st.known.at(tail - 1);
      const std::size_t rv = layout.region(order_key(a.var));
      std::uint64_t below = 0;
      for (std::size_t r = 0; r < rv; ++r) below += counts.region[r];
      const double ties = static_cast<double>(counts.region[rv]);
      const double share = ties > 0 ? static_cast<double>(tail - below) / ties : 0;
      const double dt = static_cast<double>(tail);
      a.cvar = (shifted_sum(sums, counts, stride, 0, rv, st.shift, 0, 1) + static_cast<double>(tail - below) * a.var) / dt;
      for (std::size_t k = 0; k < h; ++k) {
        double c = 0;
        for (std::size_t r = 0; r < rv; ++r) c += sums.v[r * stride + k_sum_powers + k];
        c += share * sums.v[rv * stride + k_sum_powers + k];
        a.contribution[k] = c / dt;
      }
    } else {
      a.var = a.cvar = nan;
    }
    out.allocation = std::move(a);
  }
}

// Merges key intervals [first, last] with their value counts: overlapping ones become one.
// A pilot bracket also knows its span [from, to) in pilot positions, so a merged one is re-estimated.
struct Bracket {
  std::uint64_t first, last;
  double count;
  double from = 0, to = 0;
};
std::vector<Bracket> merge_brackets(std::vector<Bracket> v, double per_position = 0) {
  std::sort(v.begin(), v.end(), [](const Bracket& a, const Bracket& b) { return a.first < b.first; });
  std::vector<Bracket> out;
  for (const auto& b : v) {
    if (!out.empty() && b.first <= out.back().last) {
      Bracket& m = out.back();
      if (b.last > m.last) {
        m.last = b.last;
        m.count += b.count;  // cells of one layout are disjoint or equal: this adds a new cell
      }
      m.from = std::min(m.from, b.from);
      m.to = std::max(m.to, b.to);
      if (per_position > 0) m.count = (m.to - m.from) * per_position;
    } else {
      out.push_back(b);
    }
  }
  return out;
}

// The pilot's size. A bracket at probability f spans about ±z·√(f(1−f)/m) of the run for a pilot of m
// samples, so the first pass collects about N·S/√m values, S = Σ 2z√(f(1−f)) over the wanted
// probabilities of every column. Take the m that brings this within the budget, and at least N/128 and
// k_pilot_blocks (N/64 and k_small_pilot_blocks below 64·k_pilot_blocks, so a short run re-draws a sixty-fourth of
// itself, not a quarter: a bracket holds the run's rank with the same probability whatever m, and a smaller pilot
// only widens it, collecting more values), but no more than 8 Mi samples, 16 Mi pilot values in all, or the run
// itself. No pilot (0) where it would re-draw the whole run, or the run is at most k_whole_blocks and its values all
// fit the budget: the first pass collects every value and every rank is selected in memory (one pass).
std::uint64_t pilot_size(const std::vector<ColumnState>& state, std::uint64_t n_total, std::uint64_t budget) {
  const auto ordered = static_cast<std::uint64_t>(std::count_if(state.begin(), state.end(), [](const ColumnState& st) { return st.ordered; }));
  const std::uint64_t least = k_pilot_blocks * k_block_size, small = k_small_pilot_blocks * k_block_size;
  if (ordered == 0 || (n_total <= k_whole_blocks * k_block_size && n_total <= budget / ordered)) return 0;
  double spread = 0;
  for (const auto& st : state) {
    if (!st.ordered) continue;
    std::vector<double> fs = all_probs(*st.spec);
    if (st.spec->allocation) fs.push_back(st.spec->allocation->level);
    for (const double f : fs) spread += 2 * k_bracket_z * std::sqrt(f * (1 - f));
  }
  // (aiming at 60% of the budget: the estimate ignores the brackets' ends and rank rounding)
  const double fit = std::pow(static_cast<double>(n_total) * spread / (0.6 * static_cast<double>(budget)), 2);
  const double n = static_cast<double>(n_total);
  const double floor = std::min(static_cast<double>(least), std::max(static_cast<double>(small), n / 64));
  const std::uint64_t cap = std::max<std::uint64_t>(
      least, std::min<std::uint64_t>(std::uint64_t{8} << 20, (std::uint64_t{16} << 20) / ordered));
  const auto wanted_rows = static_cast<std::uint64_t>(std::min(static_cast<double>(cap), std::max({fit, n / 128, floor})));
  const std::uint64_t rows = (wanted_rows + k_block_size - 1) / k_block_size * k_block_size;
  return rows >= n_total ? 0 : rows;  // a pilot of the whole run: collect every value instead
}

// Draws the run's first `pilot_rows` samples and keeps each ordered column's finite values, sorted. Each column
// with tail sums takes its pilot's median as their shift (so Σ(x − c)^p keeps its digits); without a pilot, the
// median of the first block's values (every process draws the same).
void weighted_pilot(ColumnState& st, const std::vector<double>& x, const std::vector<std::uint64_t>& units, bool keep);

void draw_pilot(const BlockSource& source, std::vector<ColumnState>& state, std::uint64_t pilot_rows,
                std::uint64_t n_total, unsigned threads, const std::atomic<bool>* cancel,
                std::optional<std::size_t> weights) {
  const std::size_t width = state.size();
  std::vector<bool> want(width);
  for (std::size_t c = 0; c < width; ++c) want[c] = state[c].ordered && (pilot_rows > 0 || state[c].sums);
  if (std::find(want.begin(), want.end(), true) == want.end()) return;
  const std::uint64_t rows = pilot_rows > 0 ? pilot_rows : std::min<std::uint64_t>(n_total, k_block_size);
  if (rows == 0) return;
  bool any_weighted = false;
  for (std::size_t c = 0; c < width; ++c) any_weighted = any_weighted || (want[c] && state[c].weighted);
  if (any_weighted) want.at(*weights) = true;
  std::vector<std::vector<double>> pilot = collect_columns(source, rows, want, threads, cancel);
  std::vector<std::uint64_t> units;
  if (any_weighted)
    for (const double w : pilot[*weights]) units.push_back(weight_units(w));
  tbb::enumerable_thread_specific<std::vector<std::uint64_t>> spares;  // one sort scratch a thread, reused
  tbb::parallel_for(std::size_t{0}, width, [&](std::size_t c) {
    if (!want[c] || (any_weighted && c == *weights && !state[c].ordered)) return;
    if (state[c].weighted) {
      weighted_pilot(state[c], pilot[c], units, pilot_rows > 0);
      std::vector<double>().swap(pilot[c]);  // its sorted copies are kept: free the draw now, not after every column
      return;
    }
    auto& v = pilot[c];
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
    sort_values(v, spares.local(), cancel);  // (a cancel waits for one radix pass at most: about 15 ms at 8 Mi values)
    if (!v.empty()) state[c].shift = v[v.size() / 2];
    if (pilot_rows > 0) state[c].pilot = std::move(v);
  });
}

// A weighted column's pilot: its finite values of weight > 0, sorted (st.pilot, kept when `keep`), and the
// same resampled by weight (st.posterior: the value at each of m evenly spaced points of the cumulative weight, m
// the values), whose median is the tail sums' shift.
void weighted_pilot(ColumnState& st, const std::vector<double>& x, const std::vector<std::uint64_t>& units, bool keep) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;  // (order key, units)
  double w = 0, w2 = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (units[i] == 0 || !std::isfinite(x[i])) continue;
    pairs.emplace_back(order_key(x[i]), units[i]);
    const double wi = static_cast<double>(units[i]) * k_weight_unit;
    w += wi;
    w2 += wi * wi;
  }
  std::sort(pairs.begin(), pairs.end());
  const std::size_t m = pairs.size();
  std::uint64_t total = 0;
  for (const auto& p : pairs) total += p.second;
  std::vector<double> posterior(m);
  std::uint64_t cum = 0;
  std::size_t j = 0;
  for (std::size_t k = 0; k < m; ++k) {
    // the value whose units cover the point (k + ½)/m of the weight
    const long double point = (static_cast<long double>(k) + 0.5L) / static_cast<long double>(m) * static_cast<long double>(total);
    while (j < m && static_cast<long double>(cum + pairs[j].second) <= point) cum += pairs[j++].second;
    posterior[k] = key_value(pairs[std::min(j, m - 1)].first);
  }
  if (!posterior.empty()) st.shift = posterior[m / 2];
  st.pilot_ess = w2 > 0 ? w * w / w2 : 0;
  if (keep) {
    st.pilot.resize(m);
    for (std::size_t i = 0; i < m; ++i) st.pilot[i] = key_value(pairs[i].first);
    st.posterior = std::move(posterior);
  }
}

// A weighted column's brackets from its pilot: about each needed probability f, ±(z·√(f(1 − f)/ESS) + 2/ESS) of the
// weight, ESS the pilot's, located in the resampled pilot; their values counted among the raw pilot's (which are what
// the pass collects: values of any weight > 0).
std::vector<Bracket> weighted_brackets(const ColumnState& st, std::uint64_t pilot_rows, std::uint64_t n_total) {
  const std::vector<double>& post = st.posterior;
  const std::vector<double>& raw = st.pilot;
  const double m = static_cast<double>(post.size());
  const double n_est = std::max(1.0, static_cast<double>(raw.size()) / static_cast<double>(pilot_rows) *
                                         static_cast<double>(n_total));
  if (post.empty() || !(st.pilot_ess > 0)) return {Bracket{0, k_max_key, n_est}};
  const double e = st.pilot_ess;
  const double run_ess = e * static_cast<double>(n_total) / static_cast<double>(pilot_rows);
  std::vector<double> fs;
  for (const double p : all_probs(*st.spec)) {
    const double half = k_z95_two_sided * std::sqrt(p * (1 - p) / run_ess);
    fs.insert(fs.end(), {p, std::max(0.0, p - half), std::min(1.0, p + half)});
  }
  std::vector<Bracket> out;
  for (const double f : fs) {
    const double margin = k_bracket_z * std::sqrt(std::max(f * (1 - f), 1 / e) / e) + 2 / e;
    const double ilo = std::floor((f - margin) * m), ihi = std::ceil((f + margin) * m);
    const double vlo = ilo < 0 ? -HUGE_VAL : post[static_cast<std::size_t>(ilo)];
    const double vhi = ihi >= m ? HUGE_VAL : post[static_cast<std::size_t>(ihi)];
    const std::uint64_t first = ilo < 0 ? 0 : order_key(vlo), last = ihi >= m ? k_max_key : order_key(vhi);
    const auto from = static_cast<double>(std::lower_bound(raw.begin(), raw.end(), vlo) - raw.begin());
    const auto to = static_cast<double>(std::upper_bound(raw.begin(), raw.end(), vhi) - raw.begin());
    out.push_back({first, last, (to - from) / static_cast<double>(raw.size()) * n_est, from, to});
  }
  return merge_brackets(std::move(out), n_est / static_cast<double>(raw.size()));
}

// The first pass: every wanted rank's bracket from the pilot, collected when all fit the budget.
std::vector<ColumnPass> first_layouts(std::vector<ColumnState>& state, std::uint64_t pilot_rows, std::uint64_t n_total,
                                      std::uint64_t budget) {
  const std::size_t width = state.size();
  std::vector<ColumnPass> passes(width);
  {
    struct Pending {
      std::size_t column;
      std::vector<Bracket> brackets;
    };
    std::vector<Pending> pending;
    double expected_total = 0;
    for (std::size_t c = 0; c < width; ++c) {
      ColumnState& st = state[c];
      ColumnPass& cp = passes[c];
      cp.moments = true;
      cp.weighted = st.weighted;
      if (!st.ordered) continue;
      if (pilot_rows == 0) {  // no pilot: one bracket of every value, collected
        pending.push_back({c, {Bracket{0, k_max_key, static_cast<double>(n_total)}}});
        continue;
      }
      if (st.weighted) {
        std::vector<Bracket> brackets = weighted_brackets(st, pilot_rows, n_total);
        for (const auto& b : brackets) expected_total += b.first == b.last ? 0 : b.count;
        pending.push_back({c, std::move(brackets)});
        continue;
      }
      const double m = static_cast<double>(st.pilot.size());
      const double finite = m / static_cast<double>(pilot_rows);
      const double n_est = std::max(1.0, finite * static_cast<double>(n_total));
      std::vector<Bracket> brackets;
      for (const std::uint64_t r : needed_ranks(*st.spec, static_cast<std::uint64_t>(n_est))) {
        if (m == 0) {
          brackets.push_back({0, k_max_key, n_est});
          continue;
        }
        const double f = static_cast<double>(r) / n_est;
        const double margin = k_bracket_z * std::sqrt(std::max(f * (1 - f), 1 / m) / m) + 2 / m;
        const double ilo = std::floor((f - margin) * m), ihi = std::ceil((f + margin) * m);
        const std::uint64_t first = ilo < 0 ? 0 : order_key(st.pilot[static_cast<std::size_t>(ilo)]);
        const std::uint64_t last = ihi >= m ? k_max_key : order_key(st.pilot[static_cast<std::size_t>(ihi)]);
        const double from = std::max(ilo, 0.0), to = std::min(ihi, m);
        brackets.push_back({first, last, (to - from) / m * n_est, from, to});
      }
      const auto& risk = st.spec->risk;
      if (st.sums && risk && !risk->downside_target && risk->below.empty() && m > 1) {
        // The semi-deviation's target is the run's mean, known only after this pass: collect about the pilot's
        // mean ± 2z·sd/√m as well, so the mean falls among values at hand (a miss, as where the pilot saw one value
        // of a nearly constant column, costs a further pass).
        const std::span<const double> v(st.pilot);
        double mean = 0, m2 = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
          const double d = v[i] - mean;
          mean += d / static_cast<double>(i + 1);
          m2 += d * (v[i] - mean);
        }
        const double w = 2 * k_bracket_z * std::sqrt(m2 / (m - 1) / m);
        if (std::isfinite(mean) && std::isfinite(w)) {
          const auto from = static_cast<double>(std::lower_bound(v.begin(), v.end(), mean - w) - v.begin());
          const auto to = static_cast<double>(std::upper_bound(v.begin(), v.end(), mean + w) - v.begin());
          brackets.push_back({order_key(mean - w), order_key(mean + w), std::max(1.0, to - from) / m * n_est, from, to});
        }
      }
      brackets = merge_brackets(std::move(brackets), m > 0 ? n_est / m : 0);
      for (const auto& b : brackets) expected_total += b.first == b.last ? 0 : b.count;  // one key: never collected
      pending.push_back({c, std::move(brackets)});
    }
    const bool collect_all = pilot_rows == 0 || expected_total <= static_cast<double>(budget);
    for (auto& p : pending) {
      std::vector<Layout::Interval> intervals;
      for (const auto& b : p.brackets)
        intervals.push_back({b.first, b.last, collect_all, collect_all ? 0u : k_bins});
      ColumnPass& cp = passes[p.column];
      const ColumnState& pst = state[p.column];
      if (pst.spec->histogram && !(pst.weighted ? pst.posterior : pst.pilot).empty())
        cp.hist = HistogramLayout::place(pst.weighted ? pst.posterior : pst.pilot);
      cp.active = true;
      cp.layout = Layout::make(state[p.column].fixed_cuts, intervals);
      cp.sums = state[p.column].sums;
      cp.shift = state[p.column].shift;
      if (state[p.column].spec->allocation) cp.companions = state[p.column].spec->allocation->companions;
    }
    for (auto& st : state) {  // placed: its memory goes to the collection
      std::vector<double>().swap(st.pilot);
      std::vector<double>().swap(st.posterior);
    }
  }

  return passes;
}

// A column's chart histogram after the main pass: its counts where the pilot placed it; without a pilot (a short run,
// whose main pass collected every finite value), placed from and counted over all the values.
std::optional<Histogram> main_pass_histogram(const ColumnState& st, const ColumnPass& cp, PassState& merged,
                                             std::size_t c) {
  if (!st.spec->histogram || st.empty()) return std::nullopt;
  if (cp.hist) return Histogram{*cp.hist, merged.hist[c], st.weighted};
  if (!cp.active) return std::nullopt;
  if (st.weighted) {  // every value of weight > 0 is at hand, with its units: placed from them resampled by weight
    const LayoutCounts& k = merged.counts[c];
    std::vector<double> all;
    std::vector<std::uint64_t> units;
    for (std::size_t r = 0; r < k.collected.size(); ++r) {
      all.insert(all.end(), k.collected[r].begin(), k.collected[r].end());
      units.insert(units.end(), k.collected_units[r].begin(), k.collected_units[r].end());
    }
    ColumnState placed;
    placed.spec = st.spec;
    weighted_pilot(placed, all, units, true);
    if (placed.posterior.empty()) return std::nullopt;
    Histogram h{HistogramLayout::place(placed.posterior), {}, true};
    HistogramCounter counter(h.layout);
    counter.add_weighted(all, units.data());
    h.counts = counter.counts();
    return h;
  }
  LayoutCounts& k = merged.counts[c];
  std::size_t total = 0;
  for (const auto& v : k.collected) total += v.size();
  if (total != st.moments.n) return std::nullopt;  // not every value at hand (never for a run without a pilot)
  // Each collected region sorted in place (radix: several times std::sort on a short run's 10⁵ values; −0 becomes +0,
  // as the pilot has it), so the ranks are then read in place; the regions follow one another in key order (one
  // region, the usual case, is read where it is).
  std::vector<double> joined;
  for (auto& v : k.collected) sort_values(v);
  if (k.collected.size() != 1) {
    joined.reserve(total);
    for (const auto& v : k.collected) joined.insert(joined.end(), v.begin(), v.end());
  }
  const std::span<const double> all = k.collected.size() == 1 ? std::span<const double>(k.collected[0]) : joined;
  k.bounds.clear();
  k.sorted.assign(k.collected.size(), 1);
  Histogram h{HistogramLayout::place(all), {}};
  h.counts.assign(h.layout.slots(), 0);
  count_histogram(h.layout, all, h.counts);
  return h;
}

// Settles column c after a pass: the ranks now known, and either its final statistics (true) or
// the layout of its next pass (false).
bool settle(std::size_t c, std::vector<ColumnState>& state, const std::vector<ColumnPass>& passes, PassState& merged,
            unsigned pass, double budget, const std::optional<ReplicateSplit>& split, std::vector<ColumnResult>& results,
            ColumnPass& np) {
  ColumnState& st = state[c];
  if (pass == 0 && st.weighted) {
    st.wm = merged.wmoments[c].total();
    st.moments = st.wm.reported();
    results[c].moments = st.moments;
    results[c].histogram = main_pass_histogram(st, passes[c], merged, c);
  } else if (pass == 0) {
    st.moments = merged.moments[c].total();
    if (split && st.moments.n + st.moments.nonfinite > 0) {
      std::vector<Moments> each(split->replicates);
      for (const auto& [r, m] : merged.replicates[c].total().parts) each.at(r) = m;
      st.moments.set_replicates(each);
    }
    results[c].moments = st.moments;
    if (st.moments.n == 0) {  // no finite sample: the statistics are undefined, not 0
      results[c].moments.mean = results[c].moments.min = results[c].moments.max = std::nan("");
    }
    results[c].histogram = main_pass_histogram(st, passes[c], merged, c);
  }
  if (!passes[c].active || st.done) return true;
  const ColumnPass& cp = passes[c];
  LayoutCounts& counts = merged.counts[c];

  std::vector<Bracket> open;
  for (const std::uint64_t r : needed(st)) {
    if (st.known.count(r)) continue;
    const RankCell cell = st.weighted ? locate_weighted(cp.layout, counts, r) : locate(cp.layout, counts, r);
    if (cell.exact) st.known[r] = cell.value;
    else open.push_back({cell.first, cell.last, static_cast<double>(cell.count)});
  }
  const Sums sums = cp.sums ? merged.sums[c].total() : Sums{};
  std::vector<std::uint64_t> cuts;
  if (open.empty()) {
    // Every rank known: the quantiles are final; tail sums need the right cuts in this pass.
    if (st.sums) cuts = tail_cuts(st, cp.layout);
    if (cuts.empty()) {
      finish_column(st, cp.layout, counts, sums, cp.stride(), results[c]);
      st.done = true;
      return true;
    }
    // Keep this pass's cuts too, so the next layout serves the same thresholds and values.
    cuts.insert(cuts.end(), cp.layout.starts.begin(), cp.layout.starts.end());
  }
  np.active = true;
  np.weighted = cp.weighted;
  np.sums = cp.sums;
  np.shift = cp.shift;
  np.companions = cp.companions;
  std::vector<std::uint64_t> all_cuts = st.fixed_cuts;
  all_cuts.insert(all_cuts.end(), cuts.begin(), cuts.end());
  if (st.sums && st.spec->risk && !st.spec->risk->downside_target && st.spec->risk->below.empty() && !st.empty())
    all_cuts.push_back(order_key(st.moments.mean));  // the semi-deviation's target, known from pass 1
  std::vector<Layout::Interval> intervals;
  for (const auto& b : merge_brackets(std::move(open)))
    intervals.push_back({b.first, b.last, b.count <= budget, b.count <= budget ? 0u : k_bins});
  np.layout = Layout::make(std::move(all_cuts), intervals);
  return false;
}

}  // namespace

void Capture::prepare() {
  values.clear();
  for (std::size_t j = 0; j < columns.size(); ++j) values.emplace_back(new double[rows]);
  kept.assign((rows + k_block_size - 1) / k_block_size, 0);
}

bool Capture::complete() const {
  return std::all_of(kept.begin(), kept.end(), [](std::uint8_t k) { return k != 0; });
}

struct Stream::Impl {
  const BlockSource& source;
  std::vector<ColumnSpec> specs;
  StreamOptions opt;
  StreamTimings local_timings;
  StreamTimings& tm;
  std::size_t width;
  std::uint64_t n_total, nblocks;
  tbb::task_arena arena;
  std::vector<ColumnState> state;
  std::vector<ColumnPass> passes;
  std::vector<ColumnResult> results;
  std::vector<std::size_t> stored;  // columns handed to the sink in pass 0
  std::mutex sink_mutex;
  std::atomic<std::uint64_t> done{0};
  PassState current;
  std::optional<ReplicateSplit> split;  // a design run's replicates (BlockSource::replicates)
  unsigned pass = 0;
  bool finished = false;
  int announced = -1;  // the pass whose phase was last announced
  Capture replay;      // an allocation's columns over every sample, kept by the main pass for the further passes
  std::optional<ReplaySource> replay_source;

  Impl(const BlockSource& src, std::vector<ColumnSpec> sp, StreamOptions o, StreamTimings* timings)
      : source(src), specs(std::move(sp)), opt(std::move(o)), tm(timings ? *timings : local_timings),
        width(source.width()), n_total(opt.samples), nblocks((n_total + k_block_size - 1) / k_block_size),
        arena(opt.threads == 0 ? tbb::task_arena::automatic : static_cast<int>(opt.threads)), state(width),
        results(width) {
    if (specs.size() != width) throw std::logic_error("stream: one ColumnSpec per column");
    if (const std::uint32_t r = source.replicates(); r > 0) {
      if (n_total < 2 * std::uint64_t{r})
        throw RunError(fmt::format("{} samples cannot hold {} design replicates of at least 2 samples each", n_total, r));
      split = ReplicateSplit{n_total, r};
    }
    for (std::size_t c = 0; c < width; ++c) {
      ColumnState& st = state[c];
      st.spec = &specs[c];
      st.ordered = !specs[c].probs.empty() || specs[c].risk || specs[c].allocation;
      st.sums = (specs[c].risk.has_value()) || specs[c].allocation.has_value();
      st.weighted = specs[c].weighted;
      if (st.weighted && (!opt.weights || *opt.weights >= width))
        throw std::logic_error("stream: a weighted column without a weight column");
      if (st.weighted && specs[c].allocation) throw std::logic_error("stream: an allocation under weights");
      if (const auto& r = specs[c].risk) {
        for (const double t : r->below) st.fixed_cuts.push_back(order_key(t));
        for (const double t : r->at_least) st.fixed_cuts.push_back(order_key(t));
        if (r->downside_target) st.fixed_cuts.push_back(order_key(*r->downside_target));
      }
      if (specs[c].stored) stored.push_back(c);
    }
    // Pilot: the run's first blocks, re-drawn, place each column's brackets.
    const auto start = Clock::now();
    const std::uint64_t pilot_rows = pilot_size(state, n_total, opt.collect_budget);
    if (opt.phase && pilot_rows > 0) opt.phase("pilot");
    arena.execute([&] { draw_pilot(source, state, pilot_rows, n_total, opt.threads, opt.cancel, opt.weights); });
    tm.pilot = seconds_since(start);
    passes = first_layouts(state, pilot_rows, n_total, opt.collect_budget);
    // A run with an allocation keeps its column and companions when they fit k_replay_values.
    std::vector<bool> keep(width, false);
    for (std::size_t c = 0; c < width; ++c)
      if (specs[c].allocation) {
        keep[c] = true;
        for (const std::size_t k : specs[c].allocation->companions) keep.at(k) = true;
      }
    const auto kept_columns = static_cast<std::uint64_t>(std::count(keep.begin(), keep.end(), true));
    if (kept_columns > 0 && kept_columns * n_total <= k_replay_values) {
      for (std::size_t c = 0; c < width; ++c)
        if (keep[c]) replay.columns.push_back(c);
      replay.rows = n_total;
      replay.prepare();
      replay_source.emplace(source, replay);
    }
    if (opt.capture) {
      opt.capture->rows = std::min(opt.capture->rows, n_total);
      opt.capture->prepare();
    }
  }

  // The context of the pass over blocks [first, end): the main pass keeps what the further ones may replay; a further
  // pass replays it where `replays` says so, else re-draws from the source.
  PassContext context(std::uint64_t first, std::uint64_t end) {
    const bool main_pass = pass == 0;
    const BlockSource* from = &source;
    if (!main_pass && replay_source) {
      const PassContext drawn{source, passes, n_total, opt, nullptr, {}, &done, &sink_mutex, 0, 0, split, nullptr, opt.weights, {}};
      if (replays(replay, first, end, needed_columns(drawn))) from = &*replay_source;
    }
    PassContext ctx{*from, passes, n_total, opt, nullptr, {}, &done, &sink_mutex, 0, 0, split, nullptr, opt.weights, {}};
    if (main_pass && opt.sink) {
      ctx.sink = &opt.sink;
      ctx.stored = stored;
    }
    if (main_pass) {
      ctx.capture = opt.capture;
      if (replay_source) ctx.replay = &replay;
    }
    return ctx;
  }

  void timed(const std::function<void()>& work) {
    if (opt.phase && announced != static_cast<int>(pass)) {
      announced = static_cast<int>(pass);
      opt.phase(pass == 0 ? "sampling" : "further pass");
    }
    const auto start = Clock::now();
    arena.execute(work);
    (pass == 0 ? tm.sample : tm.passes) += seconds_since(start);
  }

  // Checks that a state computed elsewhere fits this pass's layouts before it is merged.
  void check_fits(const PassState& part) const {
    if (part.empty() && part.moments.empty() && part.sums.empty() && part.counts.empty()) return;  // no blocks
    const auto damaged = [](const std::string& what) {
      return RunError(fmt::format("a pass state does not belong to this run ({})", what));
    };
    if (part.moments.size() != width || part.wmoments.size() != width || part.replicates.size() != width ||
        part.sums.size() != width || part.counts.size() != width)
      throw damaged(fmt::format("{} columns, this run has {}", part.moments.size(), width));
    if (part.first_block > part.end_block || part.end_block > nblocks)
      throw damaged(fmt::format("blocks [{}, {}) of {}", part.first_block, part.end_block, nblocks));
    for (std::size_t c = 0; c < width; ++c) {
      for (const auto& node : part.replicates[c].nodes())
        for (const auto& rm : node.value.parts)
          if (!split || rm.first >= split->replicates) throw damaged(fmt::format("column {}'s replicates", c));
      const ColumnPass& cp = passes[c];
      if (part.hist.size() != width ||
          (!(part.empty() && part.hist[c].empty()) && part.hist[c].size() != (cp.hist ? cp.hist->slots() : 0)))
        throw damaged(fmt::format("column {}'s histogram", c));
      const LayoutCounts& k = part.counts[c];
      if (!cp.active) {
        if (!k.region.empty() || !k.bin.empty() || !k.collected.empty()) throw damaged("counts of an unordered column");
        continue;
      }
      if (part.empty() && k.region.empty()) continue;
      if (k.region.size() != cp.layout.starts.size() || k.bin.size() != cp.layout.total_bins ||
          k.collected.size() != cp.layout.collected_regions ||
          (cp.weighted && (k.region_units.size() != k.region.size() || k.bin_units.size() != k.bin.size() ||
                           k.collected_units.size() != k.collected.size())) ||
          (!cp.weighted && (!k.region_units.empty() || !k.bin_units.empty() || !k.collected_units.empty())))
        throw damaged(fmt::format("column {}'s regions differ", c));
      for (std::size_t r = 0; r < k.collected_units.size(); ++r)
        if (k.collected_units[r].size() != k.collected[r].size())
          throw damaged(fmt::format("column {}'s collected weights", c));
      for (const auto& node : part.sums[c].nodes())
        if (node.value.v.size() != cp.layout.starts.size() * cp.stride()) throw damaged(fmt::format("column {}'s sums", c));
    }
  }

  void complete() {
    if (current.first_block != 0 || current.end_block != nblocks)
      throw RunError(fmt::format("pass {} covers blocks [{}, {}) of [0, {}): a part is missing", pass, current.first_block,
                                 current.end_block, nblocks));
    if (current.moments.empty()) {  // no blocks at all (N = 0)
      current.moments.resize(width);
      current.wmoments.resize(width);
      current.replicates.resize(width);
      current.sums.resize(width);
      current.counts.resize(width);
      current.hist.resize(width);
    }
    if (opt.phase) opt.phase("statistics");
    const auto start = Clock::now();
    // What this pass settled, and what the next must narrow (columns apart, in parallel).
    std::atomic<bool> again{false};
    std::vector<ColumnPass> next(width);
    const double budget = static_cast<double>(opt.collect_budget) / static_cast<double>(width);
    arena.execute([&] {
      tbb::parallel_for(std::size_t{0}, width, [&](std::size_t c) {
        if (!settle(c, state, passes, current, pass, budget, split, results, next[c])) again = true;
      });
    });
    tm.statistics += seconds_since(start);
    current = PassState{};
    done = 0;
    if (!again) {
      finished = true;
      return;
    }
    passes = std::move(next);
    ++pass;
    ++tm.extra_passes;
    if (tm.extra_passes > 8) throw std::logic_error("order statistics did not settle in 8 passes");
  }
};

Stream::Stream(const BlockSource& source, std::vector<ColumnSpec> specs, StreamOptions opt, StreamTimings* timings)
    : impl_(std::make_unique<Impl>(source, std::move(specs), std::move(opt), timings)) {}
Stream::~Stream() = default;

std::uint64_t Stream::blocks() const noexcept { return impl_->nblocks; }
unsigned Stream::pass() const noexcept { return impl_->pass; }
bool Stream::finished() const noexcept { return impl_->finished; }
std::uint64_t Stream::state_end() const noexcept { return impl_->current.end_block; }

void Stream::evaluate(std::uint64_t first, std::uint64_t end) {
  Impl& f = *impl_;
  if (f.finished) throw std::logic_error("Stream::evaluate after the last pass");
  end = std::min(end, f.nblocks);
  if (first >= end) return;
  PassState part;
  f.timed([&] { part = run_range(f.context(first, end), first, end); });
  f.current.join(std::move(part));
}

void Stream::store_only(std::uint64_t first, std::uint64_t end) {
  Impl& f = *impl_;
  end = std::min(end, f.nblocks);
  if (first >= end || !f.opt.sink || f.stored.empty()) return;
  const std::vector<ColumnPass> none(f.width);  // no statistics: the evaluator and the sink only
  PassContext ctx{f.source, none, f.n_total, f.opt, &f.opt.sink, f.stored, &f.done, &f.sink_mutex, 0, 0, std::nullopt,
                  f.opt.capture, f.opt.weights, {}};
  f.timed([&] { (void)run_range(ctx, first, end); });
}

void Stream::add_state(const std::string& bytes) {
  Impl& f = *impl_;
  PassState part = deserialize(bytes);
  f.check_fits(part);
  f.current.join(std::move(part));
}

std::string Stream::take_state() {
  std::string out = serialize(impl_->current);
  impl_->current = PassState{};
  return out;
}

std::string Stream::state() const { return serialize(impl_->current); }

void Stream::complete() { impl_->complete(); }

void Stream::run_rest() {
  Impl& f = *impl_;
  while (!f.finished) {
    // The pass, over one range or over the requested pieces merged as separate processes would.
    std::vector<std::uint64_t> cuts = {0};
    for (const auto b : f.opt.split_blocks)
      if (b > cuts.back() && b < f.nblocks) cuts.push_back(b);
    cuts.push_back(f.nblocks);
    if (cuts.size() == 2) {
      evaluate(0, f.nblocks);
    } else {
      std::vector<std::string> parts;
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
        evaluate(cuts[i], cuts[i + 1]);
        parts.push_back(take_state());
      }
      for (const auto& p : parts) add_state(p);
    }
    complete();
  }
}

const std::vector<ColumnResult>& Stream::results() const {
  if (!impl_->finished) throw std::logic_error("Stream::results before the last pass");
  return impl_->results;
}

std::vector<ColumnResult> run_stream(const BlockSource& source, const std::vector<ColumnSpec>& specs,
                                     const StreamOptions& opt, StreamTimings* timings) {
  Stream s(source, specs, opt, timings);
  s.run_rest();
  return s.results();
}

std::vector<std::vector<double>> collect_columns(const BlockSource& source, std::uint64_t n,
                                                 const std::vector<bool>& wanted, unsigned threads,
                                                 const std::atomic<bool>* cancel) {
  std::vector<std::vector<double>> out(wanted.size());
  for (std::size_t c = 0; c < wanted.size(); ++c)
    if (wanted[c]) out[c].resize(n);
  const std::uint64_t nblocks = (n + k_block_size - 1) / k_block_size;
  tbb::enumerable_thread_specific<std::pair<std::unique_ptr<BlockEvaluator>, std::vector<const double*>>> locals;
  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(std::uint64_t{0}, nblocks, [&](std::uint64_t b) {
      if (cancel && cancel->load(std::memory_order_relaxed)) return;
      auto& [eval, cols] = locals.local();
      if (!eval) {
        eval = source.evaluator();
        cols.resize(source.width());
      }
      const std::uint64_t first = b * k_block_size;
      const auto rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, n - first));
      eval->evaluate(first, rows, cols);
      for (std::size_t c = 0; c < wanted.size(); ++c)
        if (wanted[c]) std::copy(cols[c], cols[c] + rows, out[c].begin() + static_cast<std::ptrdiff_t>(first));
    });
  });
  if (cancel && cancel->load()) throw Interrupted();
  return out;
}

}  // namespace tamcarlo
