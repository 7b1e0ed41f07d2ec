// The command line as a user meets it: exit codes, messages, JSON, files written or not, memory.
#include "sim/io/results_file.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace tamcarlo;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

const std::string k_example = test::source_path("scenarios/cells/cs_ecommerce.toml");

// variables.<variable>.<field> of the first JSON object --json printed (one object per line).
double json_field(const std::string& out, const std::string& variable, const std::string& field) {
  const nlohmann::json j = nlohmann::json::parse(out.substr(0, out.find('\n')));
  INFO(variable << "." << field);
  REQUIRE(j.at("variables").contains(variable));
  REQUIRE(j.at("variables").at(variable).contains(field));
  return j["variables"][variable][field].get<double>();
}

}  // namespace

TEST_CASE("cli: --point --json evaluates R1 §1.3.2's arithmetic exactly (its 132亿 is 132.7亿 cut to 3 digits)", "[cli]") {
  const auto p = test::run_tamcarlo({"run", k_example, "--point", "--json"});
  REQUIRE(p.exit_code == 0);
  // headcount = JD staff × online retail / JD goods revenue; market = headcount × salary × automation share.
  const double headcount = 20000 * 15.42e12 / 8.712e11, market = headcount * 75000 * 0.5;
  CHECK(json_field(p.out, "headcount", "point") == Approx(headcount).epsilon(1e-12));
  CHECK(json_field(p.out, "market", "point") == Approx(market).epsilon(1e-12));
  CHECK(std::floor(market / 1e8) == 132);  // the report's "132亿"
}

TEST_CASE("cli: a run prints the table, writes the HDF5 and its JSON has the promised fields", "[cli]") {
  const test::TempDir dir;
  const auto out = (dir.path() / "r.h5").string();
  const auto p = test::run_tamcarlo({"run", k_example, "-n", "1e5", "--seed", "3", "-o", out, "--json"});
  REQUIRE(p.exit_code == 0);
  // The promised fields, consistent with each other and with --point: no non-finite sample, P5 ≤ P50 ≤ P95 inside
  // [min, max], the mean inside its CI, a positive spread.
  const auto field = [&](const char* f) { return json_field(p.out, "market", f); };
  CHECK(field("nonfinite") == 0);
  CHECK(field("n") == 100000);
  CHECK(field("min") <= field("p5"));
  CHECK(field("p5") < field("p50"));
  CHECK(field("p50") < field("p95"));
  CHECK(field("p95") <= field("max"));
  CHECK(field("sd") > 0);
  CHECK(field("mean_se") == Approx(field("sd") / std::sqrt(1e5)).epsilon(1e-9));
  CHECK(field("point") == Approx(20000 * 15.42e12 / 8.712e11 * 75000 * 0.5).epsilon(1e-12));
  CHECK(read_number_attribute(out, "/", "samples") == 100000);
  const auto t = test::run_tamcarlo({"run", k_example, "-n", "20000", "-o", out});
  REQUIRE(t.exit_code == 0);
  CHECK_THAT(t.out, Contains("20,000 samples") && Contains("seed 20240101") && Contains("market") && Contains("P95"));
}

TEST_CASE("cli: the main job runs the matrix suite into one result file and prints the ranked matrix", "[cli][suite]") {
  const test::TempDir dir;
  const auto p = test::run_tamcarlo({"run", test::source_path("scenarios"), "-n", "20000"}, dir.path());
  REQUIRE(p.exit_code == 0);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir.path() / "results")) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"aigc-matrix.csv", "aigc-matrix.h5"});
  // Every cell, with its stars, a P(>next) column and the rank agreement line; the projections' tables follow.
  for (const char* cell : {"code_finance", "code_it", "knowledge_finance", "content_retail", "content_gaming",
                           "cs_finance", "cs_ecommerce", "drug_discovery", "assisted_care"})
    CHECK_THAT(p.out, Contains(cell));
  CHECK_THAT(p.out, Contains("★market") && Contains("★corpus") && Contains("P(>next)") && Contains("Kendall τ_b") &&
                        Contains("usd_cny") && Contains("adoption[2028]") && Contains("market[2026]"));
  const auto h5 = (dir.path() / "results" / "aigc-matrix.h5").string();
  CHECK(read_dims(h5, "/matrix/market") == std::vector<std::size_t>{20000, 9});
  CHECK(read_dims(h5, "/runs/code_assistant/samples/adoption") == std::vector<std::size_t>{20000, 8});
  CHECK(read_dims(h5, "/runs/ai_pharma/summary/market/quantile") == std::vector<std::size_t>{11, 9});
}

TEST_CASE("cli: usage errors exit 1", "[cli][errors]") {
  CHECK(test::run_tamcarlo({}).exit_code == 1);
  CHECK(test::run_tamcarlo({"run"}).exit_code == 1);
  const auto bad_store = test::run_tamcarlo({"run", k_example, "--store", "some"});
  CHECK(bad_store.exit_code == 1);
  CHECK_THAT(bad_store.err, Contains("--store"));
  const auto bad_n = test::run_tamcarlo({"run", k_example, "-n", "lots"});
  CHECK(bad_n.exit_code == 1);
  CHECK_THAT(bad_n.err, Contains("not a whole number of samples"));
  CHECK(test::run_tamcarlo({"run", k_example, "--threads", "0"}).exit_code == 1);
  CHECK(test::run_tamcarlo({"frobnicate"}).exit_code == 1);
}

TEST_CASE("cli: --help and --version exit 0", "[cli]") {
  const auto v = test::run_tamcarlo({"--version"});
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Contains(TAMCARLO_VERSION));
  const auto h = test::run_tamcarlo({"run", "--help"});
  CHECK(h.exit_code == 0);
  CHECK_THAT(h.out, Contains("--store") && Contains("--point"));
}

TEST_CASE("cli: an invalid scenario exits 2 with a located message and writes nothing", "[cli][errors]") {
  const test::TempDir dir;
  const auto bad = dir.write("bad.toml", "[inputs]\nsalary = { dist = \"lognromal\", median = 1, sigma = 0.1 }\n");
  const auto p = test::run_tamcarlo({"run", k_example, bad}, dir.path());
  CHECK(p.exit_code == 2);
  CHECK_THAT(p.err, Contains("bad.toml:2:19: error: [inputs.salary.dist]") && Contains("did you mean `lognormal`"));
  CHECK_FALSE(fs::exists(dir.path() / "results"));  // validated before anything ran
  CHECK(test::run_tamcarlo({"validate", bad}).exit_code == 2);
}

TEST_CASE("cli: a run that cannot write exits 3 and leaves nothing", "[cli][errors]") {
  const test::TempDir dir;
  // /proc takes no new files, even from root (a missing directory is made; a read-only one would not stop root).
  const auto p = test::run_tamcarlo({"run", k_example, "-n", "1000", "-o", "/proc/tamcarlo-test.h5"}, dir.path());
  CHECK(p.exit_code == 3);
  CHECK_THAT(p.err, Contains("cannot write /proc/tamcarlo-test.h5: cannot create"));
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("cli: -o names a directory for a directory of scenarios, even one holding a single file", "[cli]") {
  const test::TempDir dir;
  fs::create_directories(dir.path() / "in");
  (void)dir.write("in/s.toml", "[scenario]\nname = \"solo\"\n[inputs]\na = { dist = \"normal\", mean = 1, sd = 2 }\n");
  const auto out = (dir.path() / "res").string();  // no trailing '/', does not exist yet
  const auto p = test::run_tamcarlo({"run", (dir.path() / "in").string(), "-n", "1000", "-o", out});
  REQUIRE(p.exit_code == 0);
  CHECK(fs::is_directory(out));
  CHECK(fs::is_regular_file(dir.path() / "res" / "solo.h5"));
  // A directory is needed, and the path is something else: refused (exit 1), the file left alone.
  const auto notes = dir.write("notes.txt", "precious");
  const auto refused = test::run_tamcarlo({"run", (dir.path() / "in").string(), "-n", "1000", "-o", notes});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Contains("a directory is needed (an input is a directory of scenarios)"));
  std::ifstream kept(notes);
  CHECK(std::string(std::istreambuf_iterator<char>(kept), {}) == "precious");
  // One scenario file: -o is the result file, as given.
  const auto file = (dir.path() / "one.h5").string();
  REQUIRE(test::run_tamcarlo({"run", (dir.path() / "in" / "s.toml").string(), "-n", "1000", "-o", file}).exit_code == 0);
  CHECK(fs::is_regular_file(file));
}

TEST_CASE("cli: validate reports lint warnings and exits 0", "[cli]") {
  const test::TempDir dir;
  const auto f = dir.write("s.toml", "[inputs]\na = { dist = \"normal\", mean = 1, sd = 2 }\n");
  const auto p = test::run_tamcarlo({"validate", f});
  CHECK(p.exit_code == 0);
  CHECK_THAT(p.err, Contains("s.toml:2:1: warning: [inputs.a] no `source`"));
  CHECK_THAT(p.out, Contains("ok"));
}

TEST_CASE("cli: non-finite samples are counted and announced", "[cli]") {
  const test::TempDir dir;
  const auto f = dir.write("nan.toml", "[inputs]\nx = { dist = \"normal\", mean = 0, sd = 1, source = \"test\" }\n"
                                       "[formulas]\ny = \"log(x)\"\n");
  const auto p = test::run_tamcarlo({"run", f, "-n", "10000", "-o", (dir.path() / "r.h5").string()});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("warning: `y` has") && Contains("non-finite samples"));
  const auto j = test::run_tamcarlo({"run", f, "-n", "10000", "-o", (dir.path() / "r.h5").string(), "--json"});
  const double nonfinite = json_field(j.out, "y", "nonfinite");
  CHECK(nonfinite > 4500);  // P(x < 0) = 1/2: 5000 ± 4·50
  CHECK(nonfinite < 5200);
}

// Not built under AddressSanitizer (its shadow memory and quarantine inflate the peak RSS): a test that could
// check nothing there is left out rather than
// passing empty.
#if !defined(TAMCARLO_SANITIZED)
TEST_CASE("cli: peak memory does not grow with the sample count, stored or not", "[cli][memory]") {
  const test::TempDir dir;
  const auto rss = [&](const char* n, const char* store) {
    const auto p = test::run_tamcarlo({"run", k_example, "-n", n, "--store", store, "-o", (dir.path() / "r.h5").string()});
    REQUIRE(p.exit_code == 0);
    return static_cast<double>(p.max_rss_kib) / 1024;
  };
  // 8e6 samples of 6 variables (and a constant) are 366 MiB on disk; streamed, the process holds a small part of it.
  const double small = rss("1e6", "all"), large = rss("8e6", "all");
  INFO("peak RSS at 1e6: " << small << " MiB, at 8e6: " << large << " MiB");
  CHECK(large < small + 48);
  CHECK(large < 160);
  CHECK(fs::file_size(dir.path() / "r.h5") > 8e6 * 6 * sizeof(double));  // 7 variables, one a constant (a scalar)
  const double none = rss("8e6", "none");
  INFO("--store none at 8e6: " << none << " MiB");
  CHECK(none < 96);
}
#endif  // !TAMCARLO_SANITIZED

TEST_CASE("cli: Ctrl-C (even twice) stops a run with exit 130 and leaves no file", "[cli][errors]") {
  const test::TempDir dir;
  const auto p = test::interrupt_tamcarlo(
      {"run", k_example, "-n", "5e7", "--store", "none", "-o", (dir.path() / "r.h5").string()}, dir.path());
  CHECK(p.exit_code == 130);
  CHECK_THAT(p.err, Contains("interrupted; no result was written"));
  CHECK(fs::is_empty(dir.path()));
  // A closed terminal (SIGHUP) or SIGQUIT while samples stream to the target's temporary file: the same clean stop.
  for (const int sig : {SIGHUP, SIGQUIT}) {
    INFO("signal " << sig);
    const auto q = test::interrupt_tamcarlo(
        {"run", k_example, "-n", "5e7", "--store", "all", "-o", (dir.path() / "r.h5").string()}, dir.path(), sig);
    CHECK(q.exit_code == 130);
    CHECK_THAT(q.err, Contains("interrupted; no result was written"));
    CHECK(fs::is_empty(dir.path()));
  }
}

TEST_CASE("cli: stored samples that cannot fit on disk are refused before the run starts", "[cli][errors]") {
  const test::TempDir dir;
  const auto p = test::run_tamcarlo({"run", k_example, "-n", "1e15", "-o", (dir.path() / "r.h5").string()});
  CHECK(p.exit_code == 3);
  CHECK_THAT(p.err, Contains("the stored samples need") && Contains("is free there") && Contains("--store none"));
  CHECK_THAT(p.err, Contains(" PiB at ") && !Contains("BB") && !Contains("e+"));  // once "4.00e+16B", "75.9BB"
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("cli: --point reproduces R1 §1.3.1's arithmetic (customer service × finance: 37亿 wage pool, 18.5亿 market)", "[cli][scenarios]") {
  const auto p = test::run_tamcarlo({"run", test::source_path("scenarios/cells/cs_finance.toml"), "--point", "--json"});
  REQUIRE(p.exit_code == 0);
  // 43,800 staff × 84,000 CNY = 36.792亿, which the report rounds to "37亿" and halves to "18.5亿".
  const double wage_pool = json_field(p.out, "wage_pool", "point"), market = json_field(p.out, "market", "point");
  CHECK(wage_pool == Approx(43800.0 * 84000).epsilon(1e-12));
  CHECK(market == Approx(43800.0 * 84000 * 0.5).epsilon(1e-12));
  CHECK(std::round(wage_pool / 1e8) * 1e8 * 0.5 == 1.85e9);  // the report's chain: round to 1亿, then × 50%
}

TEST_CASE("cli: every scenario in the library validates with no unsourced input", "[cli][scenarios]") {
  const auto p = test::run_tamcarlo({"validate", test::source_path("scenarios")});
  CHECK(p.exit_code == 0);
  CHECK_THAT(p.err, !Contains("no `source`"));
}

TEST_CASE("json: every kind of run's --json validates against sim/io/json.schema.json", "[json]") {
  test::TempDir dir;
  const std::vector<std::vector<std::string>> runs = {
      {"run", test::source_path("scenarios/projections/code_assistant.toml"), "-n", "4000", "--store", "none", "--json"},
      {"run", test::source_path("scenarios/investments/augment.toml"), "-n", "4000", "--store", "none", "--stress",
       "all", "--sobol", "--json"},
      {"run", test::source_path("scenarios/investments/portfolio.toml"), "-n", "4000", "--store", "none", "--json"},
      {"run", test::source_path("scenarios/matrix.toml"), "-n", "2000", "--store", "none", "--json"},
      {"run", test::source_path("scenarios/projections/llm_market_cn.toml"), "-n", "4000", "--store", "none", "--json"},
      {"run", k_example, "--point", "--json"},
      {"run", k_example, "-n", "4000", "--store", "none", "--sobol", "--json"},
  };
  for (const auto& args : runs) {
    const auto p = test::run_tamcarlo(args, dir.path());
    INFO(args[1] << ": " << p.err);
    REQUIRE(p.exit_code == 0);
    const std::string out = dir.write("out.jsonl", p.out);
    const auto check = test::run_shell("/usr/bin/python3 " + test::source_path("tests/json_schema_check.py") + " " +
                                       test::source_path("sim/io/json.schema.json") + " < " + out);
    INFO(check.out);
    CHECK(check.exit_code == 0);
  }
  // The schema can fail: a run object without its variables is refused.
  const std::string bad = dir.write("bad.jsonl", "{\"json_version\":2,\"scenario\":\"x\"}\n");
  CHECK(test::run_shell("/usr/bin/python3 " + test::source_path("tests/json_schema_check.py") + " " +
                        test::source_path("sim/io/json.schema.json") + " < " + bad)
            .exit_code == 1);
}

TEST_CASE("json: a timed variable is keyed by its name with its years under by_year and no float noise", "[json]") {
  test::TempDir dir;
  const std::string f = dir.write("t.toml", R"TOML(
[scenario]
name = "t"
years = [2024, 2026]
[inputs]
base = { dist = "uniform", min = 1, max = 2, source = "test" }
tenth = { value = 0.1, source = "test" }
[formulas]
third = "tenth * 3"
grown = "base * (1 + 0.1) ^ (year - 2024)"
[outputs]
report = ["third", "grown"]
)TOML");
  const auto p = test::run_tamcarlo({"run", f, "-n", "2000", "--store", "none", "--json"}, dir.path());
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("\"grown\":{") && Contains("\"years\":[2024,2025,2026]") &&
                        Contains("\"by_year\":{\"2024\":{") && !Contains("grown[2025]"));
  // 0.1 * 3 is 0.30000000000000004 in binary; JSON carries 15 significant digits.
  CHECK_THAT(p.out, Contains("\"point\":0.3,") && !Contains("0.30000000000000004"));
}

TEST_CASE("cli: `run -` reads the scenario from standard input and names it <stdin> in errors", "[cli]") {
  test::TempDir dir;
  const std::string exe = TAMCARLO_EXE;
  const auto ok = test::run_shell("cd " + dir.path().string() + " && " + exe + " run - -n 2000 --store none -o out.h5 < " +
                                  k_example);
  INFO(ok.out);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Contains("cs-ecommerce"));
  CHECK(fs::exists(dir.path() / "out.h5"));
  const std::string bad = dir.write("bad.toml", "[inputs]\nx = { dist = \"normal\", mean = 1 }\n");
  const auto err = test::run_shell(exe + " validate - < " + bad);
  CHECK(err.exit_code == 2);
  CHECK_THAT(err.out, Contains("<stdin>:2:5"));
  const auto empty = test::run_shell(exe + " run - < /dev/null");
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.out, Contains("standard input is empty"));
  CHECK(test::run_shell(exe + " run - - < /dev/null").exit_code == 1);
}

TEST_CASE("cli: validate names every independent error of a file in one run, up to 20", "[cli]") {
  test::TempDir dir;
  const std::string f = dir.write("bad.toml", "[scenario]\nname = \"bad\"\n[inputs]\n"
                                              "a = { dist = \"normal\", mean = 1 }\n"
                                              "b = { dist = \"uniform\", min = 3, max = 1 }\n"
                                              "c = 2\n[formulas]\n"
                                              "d = \"a * zz\"\n"
                                              "e = \"c + ((\"\n");
  const auto p = test::run_tamcarlo({"validate", f});
  CHECK(p.exit_code == 2);
  CHECK_THAT(p.err, Contains("bad.toml:4:5: error: [inputs.a]") && Contains("bad.toml:5:") &&
                        Contains("bad.toml:8:10: error: [formulas.d] unknown name `zz`") &&
                        Contains("bad.toml:9:") && Contains("bad.toml: 4 errors"));
  // In file order, and capped: 25 bad inputs list 20 and count the rest.
  std::string many = "[scenario]\nname = \"many\"\n[inputs]\n";
  for (int i = 0; i < 25; ++i) many += fmt::format("x{:02} = {{ dist = \"normal\", mean = 1 }}\n", i);
  const auto q = test::run_tamcarlo({"validate", dir.write("many.toml", many)});
  CHECK(q.exit_code == 2);
  CHECK_THAT(q.err, Contains("[inputs.x00]") && Contains("[inputs.x19]") && !Contains("[inputs.x20]") &&
                        Contains("5 more errors not listed") && Contains("25 errors"));
  CHECK(q.err.find("[inputs.x00]") < q.err.find("[inputs.x01]"));
}

TEST_CASE("cli: the README's example scenario validates with no warning", "[cli][scenarios]") {
  // The first ```toml block of the README that holds a [scenario] is the one its "Writing a scenario" shows.
  std::ifstream in(test::source_path("README.md"));
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  std::size_t at = 0;
  std::string example;
  while ((at = text.find("```toml\n", at)) != std::string::npos) {
    const std::size_t end = text.find("```", at + 8);
    const std::string block = text.substr(at + 8, end - at - 8);
    if (block.find("[scenario]") != std::string::npos && block.find("[inputs]") != std::string::npos) {
      example = block;
      break;
    }
    at = end + 3;
  }
  REQUIRE_FALSE(example.empty());
  const test::TempDir dir;
  const auto p = test::run_tamcarlo({"validate", dir.write("example.toml", example)});
  INFO(p.err);
  CHECK(p.exit_code == 0);
  CHECK_THAT(p.err + p.out, !Contains("warning"));
}

TEST_CASE("cli: on a terminal, progress shows every phase with the time elapsed, and sampling with an ETA", "[cli]") {
  const test::TempDir dir;
  // util-linux's `script` gives the run a pseudo-terminal (progress is drawn only on one, after its first 0.5 s).
  // The main job at 5e6 samples on one thread re-draws a 262,144-sample pilot (0.7–1.6 s, was never shown before
  // the ticker; 4.2 s on a machine whose page faults cost 11 µs, when each column's sort took fresh memory), then
  // samples for about 12 s: it is interrupted once the sampling ETA has had time to appear.
#if defined(TAMCARLO_SANITIZED)
  const std::string limit = "20";
#else
  const std::string limit = "4";
#endif
  const auto p = test::run_shell("cd '" + dir.path().string() + "' && script -qec \"timeout --preserve-status -s INT " +
                                 limit + " '" TAMCARLO_EXE "' run '" + test::source_path("scenarios/matrix.toml") +
                                 "' -n 5e6 --threads 1 --store none -o m.h5\" /dev/null");
  REQUIRE(p.exit_code == 130);
  CHECK_THAT(p.out, Contains(" pilot…  ") && Contains(" elapsed"));
  CHECK_THAT(p.out, Contains(" sampling [") && Contains("ETA "));
  CHECK_THAT(p.out, Contains("\r\033[K"));  // each redraw erases its line first
}
