// HDF5 result files: round trip of samples, summaries and run attributes; nothing left on failure.
#include "sim/engine/plan_source.hpp"
#include "sim/io/results_file.hpp"
#include "sim/run/run_scenario.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>
#include <sstream>
#include <map>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "sim/base/text.hpp"

using namespace tamcarlo;
namespace fs = std::filesystem;

TEST_CASE("a result file round-trips samples, summaries and the run's identity", "[results]") {
  const test::TempDir dir;
  const Scenario s = load_scenario(test::source_path("scenarios/cells/cs_ecommerce.toml"));
  RunOptions opt;
  opt.what.samples = 20000;
  opt.what.seed = 5;
  opt.what.output = (dir.path() / "r.h5").string();
  const RunSummary r = run_scenario(s, opt);
  REQUIRE(fs::exists(opt.what.output));
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir.path())) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"r.csv", "r.h5"});  // no temporary left beside them
  // The CSV summary: a header and one row per variable; quoted fields where needed.
  std::ifstream csv(dir.path() / "r.csv");
  std::string header, line;
  std::getline(csv, header);
  CHECK(header.rfind("variable,year,kind,unit,reported,point,n,nonfinite,mean,", 0) == 0);
  int rows = 0;
  bool market_row = false;
  while (std::getline(csv, line)) {
    ++rows;
    if (line.rfind("market,,formula,", 0) == 0) market_row = line.find(json_number(r.variables[6].moments.mean)) != std::string::npos;
  }
  CHECK(rows == 7);
  CHECK(market_row);

  // Samples: identical to a direct engine run.
  const Plan plan(s);
  EngineOptions eo;
  eo.seed = 5;
  eo.samples = 20000;
  eo.keep.assign(plan.variables().size(), true);
  const EngineOutput direct = run_engine(plan, eo);
  for (std::size_t v = 0; v < plan.variables().size(); ++v) {
    const auto& name = plan.variables()[v].name;
    INFO(name);
    const auto stored = read_samples(opt.what.output, name);
    const bool constant = std::all_of(direct.columns[v].begin(), direct.columns[v].end(),
                                      [&](double x) { return x == direct.columns[v].front(); });
    if (constant) {  // a constant is a scalar holding its one value, not N copies
      REQUIRE(stored.size() == 1);
      CHECK(stored.front() == direct.columns[v].front());
      CHECK(read_number_attribute(opt.what.output, "/samples/" + name, "constant") == 1);
    } else {
      CHECK(stored == direct.columns[v]);
    }
  }
  // Root attributes.
  CHECK(read_string_attribute(opt.what.output, "/", "scenario") == s.text);
  CHECK(read_number_attribute(opt.what.output, "/", "seed") == 5);
  CHECK(read_number_attribute(opt.what.output, "/", "samples") == 20000);
  CHECK(read_string_attribute(opt.what.output, "/", "tamcarlo_version") == TAMCARLO_VERSION);
  // Summary of `market`: the same numbers the run reported.
  const auto& market = r.variables[plan.index("market")];
  CHECK(read_number_attribute(opt.what.output, "/summary/market", "mean") == market.moments.mean);
  CHECK(read_number_attribute(opt.what.output, "/summary/market", "nonfinite") == 0);
  CHECK(read_number_attribute(opt.what.output, "/summary/market", "point") == market.var.point);
  CHECK(read_string_attribute(opt.what.output, "/summary/salary", "source") == "R1 §1.3.2: average e-commerce customer-service salary 7.5万; log-sd 0.15 is an assumption (job-board averages)");
  const auto q = read_dataset(opt.what.output, "/summary/market/quantile");
  const auto lo = read_dataset(opt.what.output, "/summary/market/quantile_lo");
  REQUIRE(q.size() == k_report_probs.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    CHECK(q[i] == market.quantiles[i].value);
    CHECK(lo[i] == market.quantiles[i].lo);
  }
}

TEST_CASE("store mode `report` keeps only the reported variables' samples", "[results]") {
  const test::TempDir dir;
  const Scenario s = load_scenario(test::source_path("scenarios/cells/cs_ecommerce.toml"));
  RunOptions opt;
  opt.what.samples = 1000;
  opt.what.store = Store::report;
  opt.what.output = (dir.path() / "r.h5").string();
  (void)run_scenario(s, opt);
  CHECK(read_samples(opt.what.output, "market").size() == 1000);
  CHECK_THROWS_AS(read_samples(opt.what.output, "salary"), RunError);
  // Inputs still get their moments in the summary.
  CHECK(read_number_attribute(opt.what.output, "/summary/salary", "n") == 1000);
}

TEST_CASE("a failed or interrupted run leaves nothing at the target path", "[results]") {
  const test::TempDir dir;
  const Scenario s = load_scenario(test::source_path("scenarios/cells/cs_ecommerce.toml"));
  RunOptions opt;
  opt.what.samples = 100000;
  opt.what.output = (dir.path() / "r.h5").string();
  std::atomic<bool> cancel{true};
  opt.on.cancel = &cancel;
  CHECK_THROWS_AS(run_scenario(s, opt), Interrupted);
  CHECK(fs::is_empty(dir.path()));

  opt.on.cancel = nullptr;
  opt.what.output = (dir.path() / "missing-dir" / "r.h5").string();
  CHECK_THROWS_AS(run_scenario(s, opt), RunError);
  CHECK(fs::is_empty(dir.path()));
}

namespace {

// The rows of an RFC 4180 CSV as maps from its header's names (quoted fields with "" and commas; CRLF rows).
std::vector<std::map<std::string, std::string>> read_csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += text[++i];
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  rows.pop_back();  // after the last CRLF
  std::vector<std::map<std::string, std::string>> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    REQUIRE(rows[r].size() == rows[0].size());
    std::map<std::string, std::string> m;
    for (std::size_t c = 0; c < rows[0].size(); ++c) m[rows[0][c]] = rows[r][c];
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

TEST_CASE("the CSV holds every case, the risk metrics, the Sobol' indices and the inputs' law quantiles",
          "[results][csv]") {
  const test::TempDir dir;
  const auto p = test::run_tamcarlo({"run", test::source_path("scenarios/investments/abridge.toml"), "--stress", "all",
                                     "--sobol", "-n", "20000", "-o", "a.h5"},
                                    dir.path());
  REQUIRE(p.exit_code == 0);
  const std::string h5 = (dir.path() / "a.h5").string();
  std::ifstream f(dir.path() / "a.csv", std::ios::binary);
  std::ostringstream text;
  text << f.rdbuf();
  const auto rows = read_csv_rows(text.str());
  const auto row = [&](const std::string& variable, const std::string& c) {
    const auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& r) {
      return r.at("variable") == variable && r.at("case") == c;
    });
    REQUIRE(it != rows.end());
    return *it;
  };
  // Every case's rows, the stressed case's statistics as its group in the HDF5 file holds them (same digits).
  const auto bear = row("moic", "bear");
  CHECK(std::stod(bear.at("mean")) == read_number_attribute(h5, "/stress/bear/summary/moic", "mean"));
  // Risk metrics: VaR, CVaR and threshold probabilities as the file's risk group.
  const auto moic = row("moic", "base");
  const auto level = read_dataset(h5, "/summary/moic/risk/level"), var = read_dataset(h5, "/summary/moic/risk/var");
  const auto cvar = read_dataset(h5, "/summary/moic/risk/cvar");
  for (std::size_t i = 0; i < level.size(); ++i) {
    const std::string l = json_number(level[i]);
    CHECK(std::stod(moic.at("var_" + l)) == var[i]);
    CHECK(std::stod(moic.at("cvar_" + l)) == cvar[i]);
  }
  const auto below = read_dataset(h5, "/summary/moic/risk/below_threshold");
  const auto p_below = read_dataset(h5, "/summary/moic/risk/p_below");
  CHECK(std::stod(moic.at("p_below_" + json_number(below.at(0)))) == p_below.at(0));
  // Sobol' indices, per input, as the file's sobol group.
  const auto inputs = read_strings(h5, "/summary/moic/sobol/input");
  const auto total = read_dataset(h5, "/summary/moic/sobol/total");
  for (std::size_t i = 0; i < inputs.size(); ++i) CHECK(std::stod(moic.at("sobol_total_" + inputs[i])) == total[i]);
  // An input whose samples were not held (--store report): its law's exact quantiles, CI of zero width.
  const auto input = std::find_if(rows.begin(), rows.end(), [](const auto& r) {
    return r.at("kind") == "input" && r.at("case") == "base" && r.at("sd") != "0";
  });
  REQUIRE(input != rows.end());
  CHECK(input->at("quantiles") == "law");
  CHECK(input->at("p5") == input->at("p5_lo"));
  CHECK(input->at("p5") == input->at("p5_hi"));
  CHECK(std::stod(input->at("p5")) < std::stod(input->at("p95")));
  CHECK(moic.at("quantiles") == "samples");
}
