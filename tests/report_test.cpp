// `tamcarlo report`: the charts and the page exist and are valid, the page lists every input with
// its source, the fan chart draws the stored per-year quantiles, and bad input fails cleanly.
#include "sim/io/results_file.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>

using namespace tamcarlo;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

std::string html_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#x27;"; break;
      default: out += c;
    }
  }
  return out;
}

// Every PNG is a real PNG, and each is a chart the page draws (a figure whose spec is in data.json); the page is
// complete HTML that fetches nothing (tests/browser_check.py opens it in Chromium).
void check_report(const fs::path& dir) {
  REQUIRE(fs::exists(dir / "index.html"));
  const std::string page = test::slurp(dir / "index.html");
  CHECK(page.rfind("<!doctype html>", 0) == 0);
  CHECK(page.find("</html>") != std::string::npos);
  for (const char* fetch : {"src=\"http", "href=\"http", "url(http", "@import", "<link"})  // nothing from the network
    CHECK(page.find(fetch) == std::string::npos);
  CHECK(page.find("Chart.js v3") != std::string::npos);  // the charting library is inlined
  std::size_t pngs = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".png") continue;
    ++pngs;
    const std::string bytes = test::slurp(e.path());
    CHECK(bytes.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
    CHECK(bytes.size() > 5000);
  }
  std::size_t figures = 0;
  for (std::size_t at = page.find("<figure class=\"chart\""); at != std::string::npos;
       at = page.find("<figure class=\"chart\"", at + 1))
    ++figures;
  const std::string data = test::slurp(dir / "data.json");
  std::size_t specs = 0;
  for (std::size_t at = data.find("\"kind\":\""); at != std::string::npos; at = data.find("\"kind\":\"", at + 1)) ++specs;
  CHECK(figures == pngs);
  CHECK(specs == pngs);
  CHECK(pngs > 0);
}

// The numbers of a list `"key":[...]` inside the data.json entry of `chart`.
std::vector<double> chart_numbers(const std::string& json, const std::string& chart, const std::string& key) {
  const auto at = json.find("\"" + chart + "\":{");
  REQUIRE(at != std::string::npos);
  const std::string entry = json.substr(at, json.find('}', at) - at);
  std::smatch m;
  REQUIRE(std::regex_search(entry, m, std::regex("\"" + key + "\":\\[([^\\]]*)\\]")));
  std::vector<double> out;
  std::stringstream ss(m[1].str());
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stod(item));
  return out;
}

}  // namespace

TEST_CASE("report: the main job's result gives the matrix charts, fan charts and a page citing every input",
          "[report]") {
  const test::TempDir dir;
  REQUIRE(test::run_tamcarlo({"run", test::source_path("scenarios"), "-n", "4000"}, dir.path()).exit_code == 0);
  const std::string h5 = (dir.path() / "results" / "aigc-matrix.h5").string();
  const auto p = test::run_tamcarlo({"report", h5, "-o", (dir.path() / "rep").string(), "--png"});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("charts, page self-contained"));
  check_report(dir.path() / "rep");
  CHECK(fs::exists(dir.path() / "rep" / "matrix__difficulty.png"));
  CHECK(fs::exists(dir.path() / "rep" / "matrix__r2.png"));
  // The page lists every input of every member, with its source as stored in the result.
  const std::string page = test::slurp(dir.path() / "rep" / "index.html");
  for (const char* member : {"cells/code_finance", "cells/cs_ecommerce", "cells/drug_discovery", "runs/ai_pharma"}) {
    const Scenario s = load_scenario(test::source_path(std::string("scenarios/") +
                                                       (std::string(member).rfind("cells", 0) == 0 ? "cells/" : "projections/") +
                                                       std::string(member).substr(std::string(member).find('/') + 1) + ".toml"));
    for (const auto& in : s.inputs) {
      INFO(member << " " << in.name);
      CHECK_THAT(page, Contains(">" + in.name + "<") && Contains(html_escape(in.source)));
    }
  }
  // The fan chart of the AI-pharma projection draws exactly the stored per-year quantiles.
  const std::string data = test::slurp(dir.path() / "rep" / "data.json");
  const auto q = read_dataset(h5, "/runs/ai_pharma/summary/market/quantile");  // 11 years × 9
  const std::vector<std::pair<std::string, std::size_t>> bands = {{"p5", 1}, {"p25", 3}, {"p50", 4}, {"p75", 5}, {"p95", 7}};
  for (const auto& [key, col] : bands) {
    const auto drawn = chart_numbers(data, "runs_ai_pharma__market__fan.png", key);
    REQUIRE(drawn.size() == 11);
    for (std::size_t t = 0; t < 11; ++t) CHECK(drawn[t] == Approx(q[t * 9 + col]).epsilon(1e-12));
  }
}

#if !defined(TAMCARLO_SANITIZED)  // the report's own Python code: the sanitizers see nothing of it
TEST_CASE("report: the page is the same bytes whether one process renders the charts or several", "[report]") {
  // The charts are rendered by forked processes, each writing every n-th chart (#24: the main job's report in a few
  // seconds); the page is put together once all are written. 1 and 3 processes must give the same files.
  const test::TempDir dir;
  REQUIRE(test::run_tamcarlo({"run", test::source_path("scenarios/investments/augment.toml"), "-n", "2000", "-o",
                              "a.h5", "--stress", "bear"}, dir.path())
              .exit_code == 0);
  std::vector<std::string> pages, data, listings;
  for (const int processes : {1, 3}) {
    const std::string out = "r" + std::to_string(processes);
    const auto p = test::run_shell(
        "cd '" + dir.path().string() + "' && mkdir " + out + " && PYTHONPATH='" + test::source_path("sim/report") +
        "' /usr/bin/python3 -c 'from tamcarlo_report.page import build; from tamcarlo_report.words import Words; "
        "print(build(\"a.h5\", \"" + out + "\", Words(\"en\"), 60, (\"png\",), " + std::to_string(processes) + "))' 2>&1");
    INFO(p.out);
    REQUIRE(p.exit_code == 0);
    pages.push_back(test::slurp(dir.path() / out / "index.html"));
    data.push_back(test::slurp(dir.path() / out / "data.json"));
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path() / out)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    std::string joined;
    for (const auto& n : names) joined += n + "\n";
    listings.push_back(joined);
  }
  CHECK(pages[0].find("<figure class=\"chart\"") != std::string::npos);
  for (std::size_t k = 1; k < pages.size(); ++k) {
    CHECK(pages[k] == pages[0]);
    CHECK(data[k] == data[0]);
    CHECK(listings[k] == listings[0]);
  }
}
#endif  // !TAMCARLO_SANITIZED

TEST_CASE("report: an investment result shows the loss region, the cap and the stress case", "[report]") {
  const test::TempDir dir;
  const std::string h5 = (dir.path() / "aug.h5").string();
  REQUIRE(test::run_tamcarlo({"run", test::source_path("scenarios/investments/augment.toml"), "-n", "4000", "-o", h5,
                              "--stress", "bear"})
              .exit_code == 0);
  const auto p = test::run_tamcarlo({"report", h5, "--locale", "zh", "--png"});
  REQUIRE(p.exit_code == 0);
  const fs::path rep = dir.path() / "aug-report";
  check_report(rep);
  const std::string data = test::slurp(rep / "data.json");
  // The MOIC chart marks P(MOIC < 1) as stored; the required-share chart its plausibility cap.
  const auto p_loss = read_dataset(h5, "/summary/moic/risk/p_below");
  CHECK_THAT(data, Contains("\"thresholds\":[{\"threshold\":1.0,\"p_below\":" + std::to_string(p_loss[0]).substr(0, 4)));
  CHECK_THAT(data, Contains("\"tail\":\"upper\""));
  // The stress case is shown beside the base (an overlay per changed output, a Δ table), not as a second copy.
  CHECK(fs::exists(rep / "stress__bear__moic__overlay.png"));
  CHECK_FALSE(fs::exists(rep / "stress_bear__moic__distribution.png"));
  CHECK_FALSE(fs::exists(rep / "stress_bear__moic__tornado.png"));
  const std::string page = test::slurp(rep / "index.html");
  CHECK_THAT(page, Contains("亿") && Contains("压力情景: bear") && Contains("P(moic &lt; 1.00)") &&
                       Contains("均值差 ± 95% 置信区间") && Contains("<th class=\"t\">输出</th>"));
  // Outputs in the scenario's [outputs] order (moic before irr), not alphabetically.
  CHECK(page.find("<td class=\"t\">moic</td>") < page.find("<td class=\"t\">irr</td>"));
  // The MOIC chart starts at its smallest value (0), not below it.
  const auto range = chart_numbers(data, "augment-b__moic__distribution.png", "x_range");
  REQUIRE(range.size() == 2);
  CHECK(range[0] >= 0);
}

TEST_CASE("report: --dpi and --svg size the charts for a memo, and an empty title leaves no gap", "[report]") {
  const test::TempDir dir;
  const std::string f = dir.write("plain.toml", "[scenario]\nname = \"plain\"\n[inputs]\n"
                                                "x = { dist = \"normal\", mean = 5, sd = 1, source = \"test\" }\n"
                                                "[formulas]\ny = \"2 * x\"\n");
  const std::string h5 = (dir.path() / "plain.h5").string();
  REQUIRE(test::run_tamcarlo({"run", f, "-n", "2000", "-o", h5}).exit_code == 0);
  const auto p = test::run_tamcarlo({"report", h5, "--png", "--svg", "--dpi", "300"});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.err, Contains("tamcarlo report: reading") && Contains("charts drawn; writing the page"));
  const fs::path rep = dir.path() / "plain-report";
  check_report(rep);
  CHECK(fs::exists(rep / "plain__y__distribution.svg"));
  // 7.2 × 4.2 inches at 300 dpi: the PNG header's width and height (big-endian at bytes 16 and 20).
  const std::string png = test::slurp(rep / "plain__y__distribution.png");
  const auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(png[at]) << 24) | (static_cast<unsigned char>(png[at + 1]) << 16) |
           (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
  };
  CHECK(be32(16) == 2160);
  CHECK(be32(20) == 1260);
  CHECK_THAT(test::slurp(rep / "index.html"), !Contains("·  ·") && !Contains("· ·"));
  CHECK(test::run_tamcarlo({"report", h5, "--dpi", "10", "-o", (dir.path() / "r2").string()}).exit_code == 1);
  // Without --png or --svg the page alone: it draws its charts in the browser.
  REQUIRE(test::run_tamcarlo({"report", h5, "-o", (dir.path() / "r3").string()}).exit_code == 0);
  for (const auto& e : fs::directory_iterator(dir.path() / "r3")) CHECK(e.path().extension() != ".png");
  CHECK_THAT(test::slurp(dir.path() / "r3" / "index.html"), Contains("<figure class=\"chart\""));
}

TEST_CASE("report: a missing or foreign file is a clear error and leaves nothing", "[report][errors]") {
  const test::TempDir dir;
  const auto missing = test::run_tamcarlo({"report", (dir.path() / "nope.h5").string()});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("nope.h5: no such file"));
  const std::string text = dir.write("x.h5", "not hdf5");
  const auto foreign = test::run_tamcarlo({"report", text});
  CHECK(foreign.exit_code == 1);
  CHECK_THAT(foreign.err, Contains("x.h5: not a tamcarlo result: results are HDF5 files written by tamcarlo run"));
  // A scenario given where its result is wanted: say to run it first.
  const std::string scenario = dir.write("s.toml", "[scenario]\nname = \"s\"\n");
  const auto early = test::run_tamcarlo({"report", scenario});
  CHECK(early.exit_code == 1);
  CHECK_THAT(early.err, Contains("s.toml: this is a scenario file, not a result: run it first (tamcarlo run "));
  // A directory, a FIFO and a device are named as what they are, not as missing.
  fs::create_directory(dir.path() / "d.h5");
  const auto directory = test::run_tamcarlo({"report", (dir.path() / "d.h5").string()});
  CHECK(directory.exit_code == 1);
  CHECK_THAT(directory.err, Contains("d.h5 is a directory; report reads a result file"));
  const auto fifo_path = dir.path() / "f.h5";
  REQUIRE(::mkfifo(fifo_path.c_str(), 0600) == 0);
  const auto fifo = test::run_tamcarlo({"report", fifo_path.string()});
  CHECK(fifo.exit_code == 1);
  CHECK_THAT(fifo.err, Contains("f.h5 is a FIFO"));
  const auto device = test::run_tamcarlo({"report", "/dev/zero"});
  CHECK(device.exit_code == 1);
  CHECK_THAT(device.err, Contains("/dev/zero is a device"));
  fs::remove(dir.path() / "d.h5");
  fs::remove(fifo_path);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir.path())) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"s.toml", "x.h5"});
}

TEST_CASE("report: the scenario's lint travels in the file and is shown beside the numbers it questions", "[report]") {
  const test::TempDir dir;
  const std::string toml = dir.write("h.toml", R"toml([scenario]
name = "h"
[inputs]
arr = { dist = "metalog", p10 = 1e6, p50 = 1e7, p90 = 1e9, lower = 0, source = "an expert's range" }
[formulas]
v = "arr * 2"
)toml");
  const std::string h5 = (dir.path() / "h.h5").string();
  const auto run = test::run_tamcarlo({"run", toml, "-n", "2000", "-o", h5});
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.err, Contains("[inputs.arr]") && Contains("no finite mean"));
  // The table marks the mean and says why instead of the heavy-tail advice ("run more samples" cannot help).
  CHECK_THAT(run.out, Contains(" † `v` has no finite mean (through `arr`, a metalog whose upper tail falls as "
                               "x^(−0.45)): the mean and CI above are only those of these samples") &&
                          !Contains("covers less often than it says"));
  REQUIRE(test::run_tamcarlo({"report", h5}).exit_code == 0);
  const std::string page = test::slurp(dir.path() / "h-report" / "index.html");
  CHECK_THAT(page, Contains("scenario warning (") && Contains("h.toml:4:1): [inputs.arr] metalog(p10=1e+06") &&
                       Contains("no finite mean, nor has `v`"));
  CHECK_THAT(page, Contains("† <b>v</b> has no finite mean (through `arr`") && !Contains("covers less often"));
  const auto json = test::run_tamcarlo({"run", toml, "-n", "2000", "--json", "-o", (dir.path() / "j.h5").string()});
  REQUIRE(json.exit_code == 0);
  const auto v = nlohmann::json::parse(json.out)["variables"]["v"];
  CHECK(v["no_finite_mean"] == "through `arr`, a metalog whose upper tail falls as x^(−0.45)");
  // A scenario with nothing to warn of writes no warnings and the page shows none.
  const std::string clean = dir.write("c.toml", "[inputs]\nx = { dist = \"normal\", mean = 1, sd = 1, source = \"t\" }\n"
                                                "[formulas]\ny = \"x * 2\"\n");
  REQUIRE(test::run_tamcarlo({"run", clean, "-n", "2000", "-o", (dir.path() / "c.h5").string()}).exit_code == 0);
  REQUIRE(test::run_tamcarlo({"report", (dir.path() / "c.h5").string()}).exit_code == 0);
  CHECK_THAT(test::slurp(dir.path() / "c-report" / "index.html"), !Contains("scenario warning"));
}

TEST_CASE("report: a constant output is stated, not charted", "[report]") {
  const test::TempDir dir;
  const std::string toml = dir.write("c.toml", R"toml([scenario]
name = "c"
[inputs]
a = { dist = "normal", mean = 10, sd = 1, source = "test" }
k = { value = 3.14, source = "test" }
[formulas]
twice_k = "k * 2"
total = "a * k"
[outputs]
report = ["twice_k", "total"]
)toml");
  const std::string h5 = (dir.path() / "c.h5").string();
  REQUIRE(test::run_tamcarlo({"run", toml, "-n", "4000", "-o", h5}).exit_code == 0);
  REQUIRE(test::run_tamcarlo({"report", h5, "--png"}).exit_code == 0);
  const fs::path rep = dir.path() / "c-report";
  CHECK_THAT(test::slurp(rep / "index.html"), Contains("<b>twice_k</b> is constant: 6.28 in every sample"));
  CHECK_FALSE(fs::exists(rep / "c__twice_k__distribution.png"));
  CHECK_FALSE(fs::exists(rep / "c__twice_k__tornado.png"));
  CHECK(fs::exists(rep / "c__total__distribution.png"));
  CHECK(fs::exists(rep / "c__total__tornado.png"));
}

TEST_CASE("report: tornado bars within 2 SE of zero are marked, and the table names no such main driver", "[report]") {
  // bowl = (a − 10)² is driven by a, but not monotonically: the Spearman ρ of a and of b are noise around 0,
  // each within 2 SE (2/√(m − 1), m = 4000 ranked samples: 0.032) about 95% of the time. The rule is checked
  // against the stored ρ, whichever side of the line each falls on.
  const test::TempDir dir;
  const std::string toml = dir.write("sq.toml", R"toml([scenario]
name = "sq"
[inputs]
a = { dist = "normal", mean = 10, sd = 1, source = "test" }
b = { dist = "uniform", min = 0, max = 1, source = "test" }
[formulas]
bowl = "(a - 10) ^ 2 + b * 0.01"
[outputs]
report = ["bowl"]
)toml");
  const std::string h5 = (dir.path() / "sq.h5").string();
  const auto run = test::run_tamcarlo({"run", toml, "-n", "4000", "-o", h5});
  REQUIRE(run.exit_code == 0);
  const auto rho = read_dataset(h5, "/summary/bowl/sensitivity");  // a, b
  REQUIRE(rho.size() == 2);
  const double noise = 2 / std::sqrt(3999.0);
  std::istringstream lines(run.out);
  std::string line, bowl;
  while (std::getline(lines, line))
    if (line.rfind(" bowl", 0) == 0) bowl = line;
  REQUIRE_FALSE(bowl.empty());
  const bool any_driver = std::fabs(rho[0]) >= noise || std::fabs(rho[1]) >= noise;
  CHECK((bowl.find('(') != std::string::npos) == any_driver);  // "a (+0.04)" only when it clears 2 SE
  REQUIRE(test::run_tamcarlo({"report", h5}).exit_code == 0);
  const std::string data = test::slurp(dir.path() / "sq-report" / "data.json");
  const bool a_first = std::fabs(rho[0]) >= std::fabs(rho[1]);  // the page lists the larger |ρ| first
  const auto flag = [&](double r) { return std::fabs(r) < noise ? std::string("true") : std::string("false"); };
  const std::string want = a_first ? flag(rho[0]) + "," + flag(rho[1]) : flag(rho[1]) + "," + flag(rho[0]);
  CHECK_THAT(data, Contains("\"within_noise\":[" + want + "]"));
}

TEST_CASE("export: markdown, LaTeX and xlsx hold the result's numbers and the terminal's intervals", "[export]") {
  const test::TempDir dir;
  const std::string h5 = (dir.path() / "aug.h5").string();
  const auto run = test::run_tamcarlo({"run", test::source_path("scenarios/investments/augment.toml"), "-n", "20000",
                                       "--stress", "all", "--sobol", "-o", h5});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const std::string terminal = dir.write("terminal.txt", run.out);
  for (const std::string to : {"markdown", "latex", "xlsx"}) {
    const auto p = test::run_tamcarlo({"export", h5, "--to", to});
    INFO(to << ": " << p.err);
    REQUIRE(p.exit_code == 0);
  }
  const auto md = test::slurp((dir.path() / "aug.md").string());
  CHECK_THAT(md, Contains("### Value of learning each input first (EVPPI)") && Contains("| company (share, failed) |") &&
                     Contains("was simulated with tamcarlo") && Contains("### Shapley effects"));
  const auto check = test::run_shell("/usr/bin/python3 " + test::source_path("tests/export_check.py") + " " + h5 + " " +
                                     (dir.path() / "aug.xlsx").string() + " " + (dir.path() / "aug.md").string() + " " +
                                     (dir.path() / "aug.tex").string() + " " + terminal);
  INFO(check.out);
  CHECK(check.exit_code == 0);
  // The checks can fail: a workbook whose numbers differ from the result is caught.
  const auto wrong = test::run_shell("/usr/bin/python3 " + test::source_path("tests/export_check.py") + " " + h5 + " " +
                                     (dir.path() / "aug.xlsx").string() + " " + (dir.path() / "aug.md").string() + " " +
                                     (dir.path() / "aug.tex").string() + " " + terminal + " && " +
                                     "/usr/bin/python3 -c \"import openpyxl; b = openpyxl.load_workbook('" +
                                     (dir.path() / "aug.xlsx").string() + "'); b['outputs']['D3'] = 1.5; b.save('" +
                                     (dir.path() / "bad.xlsx").string() + "')\" && /usr/bin/python3 " +
                                     test::source_path("tests/export_check.py") + " " + h5 + " " +
                                     (dir.path() / "bad.xlsx").string() + " " + (dir.path() / "aug.md").string() + " " +
                                     (dir.path() / "aug.tex").string() + " " + terminal);
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.out, Contains("workbook: mean of"));
  // A suite: the ranked matrix first, then each cell's tables.
  const std::string suite = (dir.path() / "m.h5").string();
  REQUIRE(test::run_tamcarlo({"run", test::source_path("scenarios/matrix.toml"), "-n", "2000", "-o", suite}).exit_code == 0);
  REQUIRE(test::run_tamcarlo({"export", suite, "--to", "markdown"}).exit_code == 0);
  const auto m = test::slurp((dir.path() / "m.md").string());
  CHECK_THAT(m, Contains("### The matrix (market space in CNY/year, ranked by P50)") && Contains("| 1 | code_it |") &&
                    Contains("## Cell cs_ecommerce"));
}

TEST_CASE("export: a mean that cannot be read as it stands is marked with why, and the lint comes along", "[export]") {
  const test::TempDir dir;
  const std::string scenario = dir.write(
      "n.toml", "[scenario]\nname = \"n\"\n[inputs]\nx = { dist = \"metalog\", p10 = 1e6, p50 = 5e6, p90 = 3e7, "
                "lower = 0, source = \"t\" }\ny = { dist = \"normal\", mean = 1, sd = 0.1, source = \"t\" }\n"
                "[formulas]\nv = \"x * 2\"\nw = \"log(y - 1)\"\n[outputs]\nreport = [\"v\", \"w\"]\n");
  const std::string h5 = (dir.path() / "n.h5").string();
  REQUIRE(test::run_tamcarlo({"run", scenario, "-n", "20000", "-o", h5}).exit_code == 0);
  for (const std::string to : {"markdown", "latex", "xlsx"}) REQUIRE(test::run_tamcarlo({"export", h5, "--to", to}).exit_code == 0);
  const auto md = test::slurp((dir.path() / "n.md").string());
  // v's CI marked and why; w's NaN samples (half of them: log of y − 1 < 0) counted; the warning at x, located.
  CHECK_THAT(md, Contains(" † | ") && Contains("† v has no finite sd (through `x`, a metalog") &&
                     Contains("w has 10,") && Contains("non-finite samples (NaN or ±inf) of 20,000") &&
                     Contains("The first comes from sample ") && Contains("`w` = log(y - 1) is NaN with y = ") &&
                     Contains("### Scenario warnings") && Contains("n.toml:4:1 | [inputs.x] metalog("));
  const auto tex = test::slurp((dir.path() / "n.tex").string());
  CHECK_THAT(tex, Contains("\\caption{Scenario warnings}") && Contains("v has no finite sd"));
  const auto sheets = test::run_shell("/usr/bin/python3 -c \"import openpyxl; b = openpyxl.load_workbook('" +
                                      (dir.path() / "n.xlsx").string() + "'); print(b.sheetnames); "
                                      "print(b['warnings']['B3'].value)\"");
  CHECK_THAT(sheets.out, Contains("'warnings'") && Contains("[inputs.x] metalog("));
  // The page says the count and where the first comes from, under the outputs table.
  REQUIRE(test::run_tamcarlo({"report", h5, "-o", (dir.path() / "page").string()}).exit_code == 0);
  const auto page = test::slurp((dir.path() / "page" / "index.html").string());
  CHECK_THAT(page, Contains("<b>w</b> has 10,") && Contains("non-finite samples (NaN or ±inf) of 20,000; its statistics "
                                                           "use the finite ones. The first comes from sample ") &&
                       Contains("is NaN with y = "));
}

TEST_CASE("export: a missing, foreign or partial file is a clear error and writes nothing", "[export][errors]") {
  const test::TempDir dir;
  const auto none = test::run_tamcarlo({"export", (dir.path() / "nope.h5").string(), "--to", "markdown"});
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.err, Contains("nope.h5 is not a file"));
  const std::string foreign = dir.write("notes.h5", "not a result\n");
  const auto f = test::run_tamcarlo({"export", foreign, "--to", "xlsx"});
  CHECK(f.exit_code == 1);
  CHECK_THAT(f.err, Contains("is not a tamcarlo result file"));
  const auto no_to = test::run_tamcarlo({"export", foreign});
  CHECK(no_to.exit_code == 1);
  CHECK_THAT(no_to.err, Contains("give --to markdown, latex, xlsx or sip"));
  const auto bad_to = test::run_tamcarlo({"export", foreign, "--to", "pdf"});
  CHECK(bad_to.exit_code == 1);
  CHECK_THAT(bad_to.err, Contains("--to pdf: expected one of markdown,latex,xlsx"));
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir.path())) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"notes.h5"});
}

TEST_CASE("export: never replaces a FIFO, a device or a file it did not write, and follows a link", "[export][errors]") {
  const test::TempDir dir;
  const std::string h5 = (dir.path() / "r.h5").string();
  REQUIRE(test::run_tamcarlo({"run", test::source_path("scenarios/cells/cs_finance.toml"), "-n", "2000", "-o", h5})
              .exit_code == 0);
  const auto exp = [&](const fs::path& out, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"export", h5, "--to", "markdown", "-o", out.string()};
    args.insert(args.end(), more.begin(), more.end());
    return test::run_tamcarlo(args);
  };
  const fs::path fifo = dir.path() / "pipe.md";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const auto& more : {std::vector<std::string>{}, std::vector<std::string>{"--force"}}) {
    const auto p = exp(fifo, more);
    CHECK(p.exit_code == 1);
    CHECK_THAT(p.err, Contains("pipe.md is a FIFO") && Contains("nothing was written"));
    CHECK(fs::is_fifo(fifo));
  }
  const auto dev = exp("/dev/null", {"--force"});
  CHECK(dev.exit_code == 1);
  CHECK_THAT(dev.err, Contains("/dev/null is a device"));
  // Someone's notes: refused without --force and kept; replaced with it.
  const std::string notes = dir.write("notes.md", "my notes\n");
  const auto kept = exp(notes);
  CHECK(kept.exit_code == 1);
  CHECK_THAT(kept.err, Contains("exists and is not an earlier tamcarlo export; give --force"));
  CHECK(test::slurp(notes) == "my notes\n");
  // A link to them is followed: refused the same way, and the link stays a link.
  fs::create_symlink(notes, dir.path() / "link.md");
  CHECK(exp(dir.path() / "link.md").exit_code == 1);
  CHECK(exp(dir.path() / "link.md", {"--force"}).exit_code == 0);
  CHECK(fs::is_symlink(dir.path() / "link.md"));
  CHECK_THAT(test::slurp(notes), Contains("tamcarlo export"));
  // An earlier export is replaced without --force, and the result itself never is.
  CHECK(exp(notes).exit_code == 0);
  const auto self = exp(h5, {"--force"});
  CHECK(self.exit_code == 1);
  CHECK_THAT(self.err, Contains("is the result file itself"));
}
