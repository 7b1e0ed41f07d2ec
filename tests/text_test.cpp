// Human-readable numbers and name suggestions, as the tables and messages print them.
#include "sim/base/number_format.hpp"
#include "sim/base/text.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

using namespace tamcarlo;
using tamcarlo::test::source_path;

TEST_CASE("number format: every case of the shared table in C++ and in the report's Python", "[text]") {
  std::ifstream in(source_path("tests/number_format_cases.tsv"));
  REQUIRE(in);
  const auto parse = [](const std::string& s) { return s == "-" ? 0.0 : std::strtod(s.c_str(), nullptr); };
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    for (std::size_t at = 0;;) {
      const std::size_t tab = line.find('\t', at);
      f.push_back(line.substr(at, tab - at));
      if (tab == std::string::npos) break;
      at = tab + 1;
    }
    REQUIRE(f.size() == 6);
    NumberStyle style{};
    REQUIRE(parse_number_style(f[3], style));
    const NumberLocale locale = f[4] == "zh" ? NumberLocale::zh : NumberLocale::en;
    std::string got;
    if (f[0] == "number") {
      got = format_number(parse(f[1]), style, locale);
    } else {
      const auto [m, h] = format_mean_ci(parse(f[1]), parse(f[2]), style, locale);
      got = m + " ± " + h;
    }
    INFO(line);
    CHECK(got == f[5]);
    ++rows;
  }
  CHECK(rows >= 40);
  // The same table through the report's formatter (sim/report/tamcarlo_report/number_format.py).
  const auto py = test::run_shell("/usr/bin/python3 " + source_path("tests/number_format_cases.py") + " " +
                                  source_path(""));
  INFO(py.out);
  CHECK(py.exit_code == 0);
}

TEST_CASE("byte sizes read with binary units and 3 significant digits", "[text]") {
  CHECK(byte_size(0) == "0 bytes");
  CHECK(byte_size(512) == "512 bytes");
  CHECK(byte_size(1536) == "1.50 KiB");
  CHECK(byte_size(81.5e9) == "75.9 GiB");
  CHECK(byte_size(4e16) == "35.5 PiB");
  CHECK(byte_size(1e21) == "867 EiB");
}

TEST_CASE("number format: styles are named as the scenario's `format` key names them", "[text]") {
  NumberStyle s{};
  for (const char* name : {"auto", "year", "percent"}) {
    REQUIRE(parse_number_style(name, s));
    CHECK(number_style_name(s) == name);
  }
  CHECK_FALSE(parse_number_style("money", s));
  CHECK(thousands(1234567) == "1,234,567");
}
