// Integrity: a result, a shard's part or a checkpoint changed after tamcarlo wrote it (a flipped bit, a truncated
// copy) is refused by name with exit 3 by report, merge and --resume, never read into a wrong result.
#include "sim/io/part_file.hpp"
#include "sim/io/results_file.hpp"
#include "sim/io/seal.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

using namespace tamcarlo;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

const std::string k_finance = test::source_path("scenarios/cells/cs_finance.toml");

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << bytes;
}

// A damaged copy of `file`: either one bit flipped at `at` or cut to `cut` bytes.
struct Damage {
  std::string what;
  std::size_t at = 0;
  int bit = 0;
  std::size_t cut = std::string::npos;
};

// The ways to damage a file of `size` bytes (34 with two targets): single-bit flips in 4 bytes of the seal and at 20
// offsets spread over the rest, 3 at each of `targets` (offsets of the serialized statistics), and 4 truncations.
std::vector<Damage> damages(std::size_t size, const std::vector<std::size_t>& targets) {
  std::vector<Damage> out;
  std::mt19937_64 rng(20261206);
  for (const std::size_t at : {std::size_t{0}, std::size_t{30}, std::size_t{100}, std::size_t{511}})
    out.push_back({fmt::format("seal byte {}", at), at, static_cast<int>(rng() % 8)});
  for (int k = 0; k < 20; ++k) {
    const std::size_t at = 512 + (size - 512) * static_cast<std::size_t>(2 * k + 1) / 40;
    out.push_back({fmt::format("byte {} of {}", at, size), at, static_cast<int>(rng() % 8)});
  }
  for (const std::size_t t : targets)
    for (const std::size_t d : {std::size_t{0}, std::size_t{7}, std::size_t{64}})
      if (t + d < size) out.push_back({fmt::format("statistics at byte {}", t + d), t + d, static_cast<int>(rng() % 8)});
  for (const std::size_t cut : {std::size_t{0}, std::size_t{500}, size / 2, size - 1})
    out.push_back({fmt::format("cut to {} bytes", cut), 0, 0, cut});
  return out;
}

// What a refusal of the damaged file `name` must say: an empty file cannot be told from one tamcarlo never wrote,
// and is refused as not HDF5 (report: exit 1, as for a foreign file); any other damage is named as such (exit 3).
void check_refused(const test::Process& p, const Damage& d, const std::string& name, bool report = false) {
  if (d.cut == 0) {
    CHECK(p.exit_code == (report ? 1 : 3));
    CHECK_THAT(p.err, Contains(name + ": not a tamcarlo result") || Contains(name + " is not an HDF5 file"));
    return;
  }
  CHECK(p.exit_code == 3);
  CHECK_THAT(p.err, Contains(name + " is damaged: "));
}

std::string damaged(const std::string& good, const Damage& d) {
  if (d.cut != std::string::npos) return good.substr(0, d.cut);
  std::string b = good;
  b[d.at] = static_cast<char>(b[d.at] ^ (1 << d.bit));
  return b;
}

// Where `needle` (bytes the file holds, e.g. a serialized state) starts in `file`; fails the test when absent.
std::size_t offset_of(const std::string& file, const std::string& needle) {
  const std::size_t at = file.find(needle);
  REQUIRE(at != std::string::npos);
  return at;
}

std::string double_bytes(double x) {
  std::string b(sizeof x, '\0');
  std::memcpy(b.data(), &x, sizeof x);
  return b;
}

}  // namespace

TEST_CASE("integrity: every file tamcarlo writes carries a SHA-256 seal that sha256sum can check", "[integrity]") {
  const test::TempDir dir;
  const auto r = test::run_tamcarlo({"run", k_finance, "-n", "20000", "-o", "r.h5"}, dir.path());
  REQUIRE(r.exit_code == 0);
  const std::string bytes = test::slurp(dir.path() / "r.h5");
  REQUIRE(bytes.size() > 512);
  CHECK(bytes.starts_with("tamcarlo sealed HDF5\nsha256 "));
  CHECK(check_seal((dir.path() / "r.h5").string()) == SealState::sealed);
  const auto sum = test::run_shell("cd '" + dir.path().string() + "' && tail -c +513 r.h5 | sha256sum");
  CHECK(bytes.substr(28, 64) == sum.out.substr(0, 64));
  CHECK(read_number_attribute((dir.path() / "r.h5").string(), "/", "format_version") == 4);  // HDF5 reads past it
}

TEST_CASE("integrity: a damaged result is refused by report, by name, with exit 3 (34 variants)", "[integrity][report]") {
  const test::TempDir dir;
  REQUIRE(test::run_tamcarlo({"run", k_finance, "-n", "20000", "--store", "all", "-o", "r.h5"}, dir.path()).exit_code == 0);
  const std::string good = test::slurp(dir.path() / "r.h5");
  // The market's mean and the first stored samples: the statistics a reader shows.
  const std::vector<std::size_t> targets = {
      offset_of(good, double_bytes(read_number_attribute((dir.path() / "r.h5").string(), "/summary/market", "mean"))),
      offset_of(good, double_bytes(read_samples((dir.path() / "r.h5").string(), "market").at(0)))};
  const auto variants = damages(good.size(), targets);
  REQUIRE(variants.size() == 34);
  for (const auto& d : variants) {
    INFO(d.what);
    write_bytes(dir.path() / "bad.h5", damaged(good, d));
    check_refused(test::run_tamcarlo({"report", "bad.h5", "-o", "rep"}, dir.path()), d, "bad.h5", true);
    CHECK_FALSE(fs::exists(dir.path() / "rep"));
  }
  // The report package run by itself checks the seal too.
  write_bytes(dir.path() / "bad.h5", damaged(good, variants.at(10)));
  const auto alone = test::run_shell("cd '" + dir.path().string() + "' && PYTHONPATH='" +
                                     test::source_path("sim/report") + "' /usr/bin/python3 -m tamcarlo_report bad.h5 2>&1");
  CHECK(alone.exit_code == 3);
  CHECK_THAT(alone.out, Contains("bad.h5 is damaged: its content no longer matches its SHA-256 seal"));
}

TEST_CASE("integrity: a damaged shard's part is refused by merge, by name, with exit 3 (34 variants)", "[integrity][cluster]") {
  const test::TempDir dir;
  for (const std::string s : {"0", "1"})
    REQUIRE(test::run_tamcarlo({"run", k_finance, "-n", "200000", "--seed", "7", "--store", "all", "--shard", s + "/2", "-o",
                                "p" + s + ".h5"},
                               dir.path())
                .exit_code == 0);
  REQUIRE(test::run_tamcarlo({"merge", "p0.h5", "p1.h5", "-o", "good.h5"}, dir.path()).exit_code == 0);
  const std::string good = test::slurp(dir.path() / "p0.h5");
  const PartReader part((dir.path() / "p0.h5").string());
  const std::vector<std::size_t> targets = {offset_of(good, part.states().at(0).substr(0, 64)),
                                            offset_of(good, part.states().at(0).substr(4096, 64))};
  const auto variants = damages(good.size(), targets);
  for (const auto& d : variants) {
    INFO(d.what);
    write_bytes(dir.path() / "bad.h5", damaged(good, d));
    check_refused(test::run_tamcarlo({"merge", "bad.h5", "p1.h5", "-o", "m.h5"}, dir.path()), d, "bad.h5");
    CHECK_FALSE(fs::exists(dir.path() / "m.h5"));
  }
}

TEST_CASE("integrity: a damaged checkpoint is refused by --resume, by name, with exit 3, and kept (34 variants)",
          "[integrity][cluster]") {
  const test::TempDir dir;
  const std::string example = test::source_path("scenarios/cells/cs_ecommerce.toml");
  std::vector<std::string> args = {"run", example, "-o", (dir.path() / "r.h5").string(), "--checkpoint", "0.05", "-n",
                                   "2e7", "--threads", "2"};
  const auto killed = test::kill_tamcarlo_when(args, dir.path() / "r.h5.checkpoint", SIGKILL);
  REQUIRE(killed.exit_code == 128 + SIGKILL);
  const fs::path checkpoint = dir.path() / "r.h5.checkpoint";
  const std::string good = test::slurp(checkpoint);
  const PartReader part(checkpoint.string());
  const std::vector<std::size_t> targets = {offset_of(good, part.states().at(0).substr(0, 64)),
                                            offset_of(good, part.states().at(0).substr(2048, 64))};
  args.push_back("--resume");
  for (const auto& d : damages(good.size(), targets)) {
    INFO(d.what);
    const std::string bad = damaged(good, d);
    write_bytes(checkpoint, bad);
    const auto p = test::run_tamcarlo(args);
    check_refused(p, d, "r.h5.checkpoint");
    CHECK_THAT(p.err, !Contains("note:"));  // no "not a tamcarlo checkpoint; leaves it alone" beside the refusal
    CHECK_FALSE(fs::exists(dir.path() / "r.h5"));
    CHECK(test::slurp(checkpoint) == bad);  // kept for the user to look at, not deleted
  }
}
