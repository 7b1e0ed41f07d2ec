// Human-readable numbers and name suggestions, as the tables and messages print them.
#include "sim/io/text.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tamcarlo;

TEST_CASE("text: human-readable numbers keep 3–4 significant digits and say years plainly", "[text]") {
  CHECK(human(1.3274e10) == "13.3B");
  CHECK(human(353994) == "354k");
  CHECK(human(-1.5e6) == "-1.50M");
  CHECK(human(0.49981) == "0.4998");
  CHECK(human(2024) == "2024");   // a year, not 2.02k
  CHECK(human(2024.5) == "2.02k");
  CHECK(human(NAN) == "nan");
  CHECK(human(-INFINITY) == "-inf");
  CHECK(thousands(1234567) == "1,234,567");
}
