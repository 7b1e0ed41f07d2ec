// Deterministic merging of per-block summaries: a canonical binary tree over block indices.
// Node (level L, index j) covers blocks [j·2^L, (j+1)·2^L) and is always merge(left child, right
// child), so its bits do not depend on who built it. A block range is held as its canonical
// decomposition into maximal aligned nodes (at most 2·log2(blocks) of them); two adjacent ranges
// join by pushing the right one's nodes and combining siblings. Hence [0, k) joined with [k, n)
// gives the same bits as [0, n) for every k: threads, MPI ranks, job-array shards and resumed
// runs all reproduce the single run. The summary type T needs a default constructor (the identity)
// and `void merge(const T&)`.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

namespace tamcarlo {

template <class T>
class BlockTree {
 public:
  /// One aligned node: blocks [index·2^level, (index+1)·2^level).
  struct Node {
    std::uint32_t level = 0;
    std::uint64_t index = 0;
    T value{};
  };

  /// Appends block `block`'s summary; blocks must arrive in order without gaps (the first may be any).
  void add(std::uint64_t block, T value) { push({0, block, std::move(value)}); }

  /// Appends the range held by `right`, which must start where this one ends.
  void join(BlockTree&& right) {
    for (auto& node : right.nodes_) push(std::move(node));
    right.nodes_.clear();
  }

  /// The summary of the whole range: its canonical nodes merged left to right (identity if empty).
  [[nodiscard]] T total() const {
    T out{};
    for (const auto& node : nodes_) out.merge(node.value);
    return out;
  }

  /// First block of the range, and one past the last (both 0 when empty).
  [[nodiscard]] std::uint64_t first() const noexcept {
    return nodes_.empty() ? 0 : nodes_.front().index << nodes_.front().level;
  }
  [[nodiscard]] std::uint64_t end() const noexcept {
    return nodes_.empty() ? 0 : (nodes_.back().index + 1) << nodes_.back().level;
  }
  [[nodiscard]] bool empty() const noexcept { return nodes_.empty(); }
  /// The canonical nodes, left to right (for serialization).
  [[nodiscard]] const std::vector<Node>& nodes() const noexcept { return nodes_; }
  /// Rebuilds a tree from serialized nodes (which must be a canonical decomposition, left to right).
  static BlockTree from_nodes(std::vector<Node> nodes) {
    BlockTree t;
    for (auto& n : nodes) t.push(std::move(n));
    return t;
  }

 private:
  void push(Node node) {
    if (!nodes_.empty() && end() != node.index << node.level)
      throw std::logic_error("BlockTree: ranges joined out of order");
    nodes_.push_back(std::move(node));
    // Combine the last two while they are the left and right children of one parent.
    while (nodes_.size() >= 2) {
      Node& right = nodes_.back();
      Node& left = nodes_[nodes_.size() - 2];
      if (left.level != right.level || left.index % 2 != 0 || right.index != left.index + 1) break;
      left.value.merge(right.value);
      left.level += 1;
      left.index /= 2;
      nodes_.pop_back();
    }
  }
  std::vector<Node> nodes_;
};

}  // namespace tamcarlo
