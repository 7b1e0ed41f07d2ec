// The fuzz target's regression corpus, replayed by the normal test suite: every input that once crashed
// (tests/fuzz/crashes) and every seed (tests/fuzz/corpus) goes through the same code as the fuzzer.
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

TEST_CASE("fuzz: every input that once crashed, and every seed, now passes the fuzz target", "[fuzz][hardening]") {
  std::size_t replayed = 0;
  for (const char* dir : {"tests/fuzz/crashes", "tests/fuzz/corpus"})
    for (const auto& e : std::filesystem::directory_iterator(tamcarlo::test::source_path(dir))) {
      INFO(e.path().string());
      std::ifstream f(e.path(), std::ios::binary);
      std::ostringstream text;
      text << f.rdbuf();
      const std::string s = text.str();
      CHECK(LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) == 0);
      ++replayed;
    }
  CHECK(replayed >= 20);
}
