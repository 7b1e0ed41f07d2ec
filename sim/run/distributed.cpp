#include "sim/run/distributed.hpp"

#include "sim/base/error.hpp"
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


std::string shard_path(const std::string& output, const Shard& shard) {
  fs::path p(output);
  if (p.extension() == ".h5") p.replace_extension();
  return fmt::format("{}.part-{}-of-{}.h5", p.string(), shard.index, shard.count);
}

}  // namespace tamcarlo
