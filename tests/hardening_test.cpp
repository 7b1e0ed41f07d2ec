// Hardening: what a user can point tamcarlo at without losing data. Output paths that are device
// nodes, FIFOs, symbolic links, the scenario itself or someone else's file; report directories that
// hold files the report did not write.
#include "sim/io/results_file.hpp"
#include "sim/io/output_path.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <fstream>
#include <set>
#include <sstream>

using namespace tamcarlo;
using Catch::Contains;
using Catch::StartsWith;
namespace fs = std::filesystem;

namespace {

const std::string k_example = test::source_path("scenarios/cells/cs_ecommerce.toml");

// The names in `dir` (not recursive).
std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// A run of the example into `out` (few samples).
test::Process run_to(const std::string& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"run", k_example, "-o", out};
  if (std::find(extra.begin(), extra.end(), "-n") == extra.end()) args.insert(args.end(), {"-n", "2000"});
  args.insert(args.end(), extra.begin(), extra.end());
  return test::run_tamcarlo(args);
}

}  // namespace

TEST_CASE("hardening: -o never replaces a device node, and leaves nothing beside it", "[hardening][errors]") {
  if (::geteuid() != 0) {
    WARN("skipped: making a private device node needs root");
    return;
  }
  const test::TempDir dir;
  const fs::path node = dir.path() / "null";  // a private /dev/null, never the real one
  REQUIRE(::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
  const auto p = run_to(node.string());
  CHECK(p.exit_code == 1);
  CHECK_THAT(p.err, Contains(node.string()) && Contains("is a character device"));
  CHECK(fs::is_character_file(fs::symlink_status(node)));
  CHECK(listing(dir.path()) == std::set<std::string>{"null"});
}

TEST_CASE("hardening: -o refuses a FIFO, the scenario itself, a directory-like CSV and a .csv name", "[hardening][errors]") {
  const test::TempDir dir;
  const fs::path fifo = dir.path() / "pipe.h5";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  const auto a = run_to(fifo.string());
  CHECK(a.exit_code == 1);
  CHECK_THAT(a.err, Contains("is a FIFO"));
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));

  const std::string text = test::slurp(k_example);
  const std::string scenario = dir.write("sc.toml", text);
  const auto b = test::run_tamcarlo({"run", scenario, "-n", "2000", "-o", scenario, "--force"});
  CHECK(b.exit_code == 1);
  CHECK_THAT(b.err, Contains("is the scenario file"));
  CHECK(test::slurp(scenario) == text);

  fs::create_directory(dir.path() / "y.csv");  // the CSV beside y.h5 would replace a directory
  const auto c = run_to((dir.path() / "y.h5").string());
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Contains("y.csv is a directory"));

  const auto d = run_to((dir.path() / "out.csv").string());
  CHECK(d.exit_code == 1);
  CHECK_THAT(d.err, Contains("the result file is HDF5"));
  CHECK(listing(dir.path()) == std::set<std::string>{"pipe.h5", "sc.toml", "y.csv"});
}

TEST_CASE("hardening: -o replaces its own results, someone else's file only with --force", "[hardening]") {
  const test::TempDir dir;
  const std::string notes = dir.write("notes.h5", "my notes\n");
  const auto refused = run_to(notes);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Contains("notes.h5 exists and is not a tamcarlo result") && Contains("--force"));
  CHECK(test::slurp(notes) == "my notes\n");
  CHECK(listing(dir.path()) == std::set<std::string>{"notes.h5"});

  const auto forced = run_to(notes, {"--force"});
  REQUIRE(forced.exit_code == 0);
  CHECK(read_number_attribute(notes, "/", "samples") == 2000);

  const auto again = test::run_tamcarlo({"run", k_example, "-n", "3000", "-o", notes});  // ours: replaced
  REQUIRE(again.exit_code == 0);
  CHECK(read_number_attribute(notes, "/", "samples") == 3000);
  CHECK(listing(dir.path()) == std::set<std::string>{"notes.csv", "notes.h5"});
}

TEST_CASE("hardening: -o follows a symbolic link to the file it names", "[hardening]") {
  const test::TempDir dir;
  fs::create_directory(dir.path() / "store");
  fs::create_symlink("store/real.h5", dir.path() / "link.h5");
  const auto p = run_to((dir.path() / "link.h5").string());
  REQUIRE(p.exit_code == 0);
  CHECK(fs::is_symlink(dir.path() / "link.h5"));
  CHECK(read_number_attribute((dir.path() / "store" / "real.h5").string(), "/", "samples") == 2000);
  CHECK(listing(dir.path() / "store") == std::set<std::string>{"real.csv", "real.h5"});

  fs::create_symlink("loop2.h5", dir.path() / "loop1.h5");
  fs::create_symlink("loop1.h5", dir.path() / "loop2.h5");
  const auto loop = run_to((dir.path() / "loop1.h5").string());
  CHECK(loop.exit_code == 1);
  CHECK_THAT(loop.err, Contains("too many levels of symbolic links"));
}

TEST_CASE("hardening: report never deletes a directory it did not write", "[hardening][report]") {
  const test::TempDir dir;
  const std::string h5 = (dir.path() / "r.h5").string();
  REQUIRE(run_to(h5).exit_code == 0);
  // The issue's reproducer: -o a directory holding the result and the user's notes.
  fs::create_directories(dir.path() / "sub");
  const std::string notes = dir.write("sub/notes.txt", "keep me\n");
  const auto p = test::run_tamcarlo({"report", h5, "-o", dir.path().string()});
  CHECK(p.exit_code == 1);
  CHECK_THAT(p.err, Contains("is not a tamcarlo report"));
  CHECK(test::slurp(notes) == "keep me\n");
  CHECK(listing(dir.path()) == std::set<std::string>{"r.csv", "r.h5", "sub"});

  // A previous report is replaced; once the user adds a file to it, it is not.
  const fs::path rep = dir.path() / "rep";
  REQUIRE(test::run_tamcarlo({"report", h5, "-o", rep.string()}).exit_code == 0);
  REQUIRE(test::run_tamcarlo({"report", h5, "-o", rep.string()}).exit_code == 0);
  CHECK(fs::exists(rep / "index.html"));
  const std::string mine = (rep / "my-edit.md").string();
  std::ofstream(mine) << "annotations\n";
  const auto q = test::run_tamcarlo({"report", h5, "-o", rep.string()});
  CHECK(q.exit_code == 1);
  CHECK_THAT(q.err, Contains("holds files tamcarlo report did not write (my-edit.md)"));
  CHECK(test::slurp(mine) == "annotations\n");
  CHECK(fs::exists(rep / "index.html"));

  const auto file = test::run_tamcarlo({"report", h5, "-o", h5});  // -o an existing file
  CHECK(file.exit_code == 1);
  CHECK_THAT(file.err, Contains("exists and is not a directory"));
  CHECK(read_number_attribute(h5, "/", "samples") == 2000);
  CHECK(listing(dir.path()) == std::set<std::string>{"r.csv", "r.h5", "rep", "sub"});
}

TEST_CASE("hardening: a scenario that is a FIFO, a directory or too large is refused, not read", "[hardening][errors]") {
  const test::TempDir dir;
  const fs::path fifo = dir.path() / "pipe.toml";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  const auto a = test::run_tamcarlo({"validate", fifo.string()});  // would block forever if opened
  CHECK(a.exit_code == 2);
  CHECK_THAT(a.err, Contains("pipe.toml") && Contains("not a regular file"));
  fs::create_directory(dir.path() / "d.toml");
  const std::string linker = dir.write("l.toml", "[inputs]\nx = 1\n[links.m]\nfile = \"d.toml\"\noutput = \"y\"\n");
  const auto b = test::run_tamcarlo({"validate", linker});
  CHECK(b.exit_code == 2);
  CHECK_THAT(b.err, Contains("d.toml: error: is a directory"));
  {
    std::ofstream big(dir.path() / "big.toml", std::ios::binary);
    const std::string line(1023, '#');
    for (int i = 0; i < 65 * 1024; ++i) big << line << '\n';
  }
  const auto c = test::run_tamcarlo({"validate", (dir.path() / "big.toml").string()});
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err, Contains("65.0 MiB; scenario files are limited to 64 MiB"));
}

TEST_CASE("hardening: link cycles are named, not followed forever", "[hardening][errors]") {
  const test::TempDir dir;
  const std::string self = dir.write("self.toml", "[inputs]\nx = 1\n[links.me]\nfile = \"self.toml\"\noutput = \"x\"\n");
  const auto a = test::run_tamcarlo({"validate", self});
  CHECK(a.exit_code == 2);
  CHECK_THAT(a.err, Contains("[links.me] links form a cycle") && Contains("self.toml → ") );
  (void)dir.write("a.toml", "[inputs]\nx = 1\n[links.b]\nfile = \"b.toml\"\noutput = \"y\"\n");
  (void)dir.write("b.toml", "[inputs]\ny = 2\n[links.a]\nfile = \"a.toml\"\noutput = \"x\"\n");
  const auto b = test::run_tamcarlo({"run", (dir.path() / "a.toml").string(), "-n", "100"});
  CHECK(b.exit_code == 2);
  CHECK_THAT(b.err, Contains("links form a cycle") && Contains("a.toml → ") && Contains("b.toml → "));
  CHECK_FALSE(fs::exists(dir.path() / "results"));
}

TEST_CASE("hardening: links fanning out are expanded once per file, in well under a second", "[hardening][errors]") {
  const test::TempDir dir;
  // 10 files each linking the next 4 times (once past 150 s in validate), 15 linking the next twice (once 56 s and
  // 6.35 GB to run 1e4 samples): links to one file with one `year` share that file's formulas.
  for (int i = 0; i < 15; ++i) {
    const int fan = i < 10 ? 4 : 2;
    const auto name = [&](int k) { return (k < 10 ? "f" : "g") + std::to_string(k < 10 ? k : k - 10); };
    std::string text = "[inputs]\nx = { dist = \"uniform\", min = 0, max = 1, source = \"t\" }\n[formulas]\ny = \"x";
    const bool last = i == 9 || i == 14;
    for (int j = 0; j < fan && !last; ++j) text += " + l" + std::to_string(j);
    text += "\"\n";
    for (int j = 0; j < fan && !last; ++j)
      text += fmt::format("[links.l{}]\nfile = \"{}.toml\"\noutput = \"y\"\n", j, name(i + 1));
    (void)dir.write(name(i) + ".toml", text);
  }
  const auto start = std::chrono::steady_clock::now();
  const auto f = test::run_tamcarlo({"validate", (dir.path() / "f0.toml").string()});
  const auto g = test::run_tamcarlo({"run", (dir.path() / "g0.toml").string(), "-n", "1e4", "--json", "-o",
                                     (dir.path() / "g.h5").string()});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(f.exit_code == 0);
  CHECK_THAT(f.out, Contains("10 inputs, 46 formulas"));  // per file: y, 4 link names, one copy of the next
  REQUIRE(g.exit_code == 0);
  CHECK(seconds < 2);
  // Each file's x is one input shared by every link to it, so y of g0 = Σ_k 2^k·x_k over 5 files: mean 15.5,
  // sd √(Σ 4^k / 12) = √(341/12) — the fully expanded model's law. Within 4 standard errors (n = 1e4).
  const auto json = nlohmann::json::parse(g.out);
  const double sd = std::sqrt(341.0 / 12);
  CHECK(std::abs(json["variables"]["y"]["mean"].get<double>() - 15.5) < 4 * sd / 100);
  CHECK(std::abs(json["variables"]["y"]["sd"].get<double>() - sd) < 4 * sd / std::sqrt(2 * 1e4));
}

TEST_CASE("hardening: a model too large for memory (200,000 inputs, links copied past 20,000) is refused up front",
          "[hardening][errors]") {
  const test::TempDir dir;
  std::string text = "[inputs]\n";
  for (int i = 0; i < 200000; ++i) text += "x" + std::to_string(i) + " = 1\n";
  text += "[formulas]\ny = \"x0 + x1\"\n";
  const auto start = std::chrono::steady_clock::now();
  const auto p = test::run_tamcarlo({"run", dir.write("huge.toml", text), "-n", "1000", "--store", "all"}, dir.path());
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 10);
  CHECK(p.exit_code == 2);
  CHECK_THAT(p.err, Contains("huge.toml:1:1: error: [inputs] the scenario defines 200,001 inputs and formulas, more "
                             "than the 20,000 a scenario may hold"));
  CHECK(p.max_rss_kib < 1024 * 1024);
  CHECK_FALSE(fs::exists(dir.path() / "results"));
}

TEST_CASE("hardening: INT, TERM and HUP early, midway and late in a run, a shard, a merge and a report: exit 130 "
          "within a second and the directory as it was", "[hardening][signals]") {
  const test::TempDir dir;
  const std::vector<std::string> run = {"run", k_example, "-n", "3e6", "--store", "all", "--threads", "2", "-o"};
  const auto with = [](std::vector<std::string> a, std::initializer_list<std::string> more) {
    a.insert(a.end(), more);
    return a;
  };
  // The inputs of merge and report, made first; every operation then writes into the same directory.
  REQUIRE(test::run_tamcarlo(with(run, {"p0.h5", "--shard", "0/2"}), dir.path()).exit_code == 0);
  REQUIRE(test::run_tamcarlo(with(run, {"p1.h5", "--shard", "1/2"}), dir.path()).exit_code == 0);
  REQUIRE(test::run_tamcarlo(with(run, {"r.h5"}), dir.path()).exit_code == 0);
  const std::set<std::string> before = listing(dir.path());
  struct Operation {
    std::string name;
    std::vector<std::string> args;
    std::string writes;  // what it writes when it completes (removed again before the next signal)
  };
  const std::vector<Operation> operations = {
      {"run --store all", with(run, {"new.h5"}), "new.h5"},
      {"a shard", with(run, {"new.h5", "--shard", "1/2"}), "new.h5"},
      {"merge", {"merge", "p0.h5", "p1.h5", "-o", "new.h5"}, "new.h5"},
#if !defined(TAMCARLO_SANITIZED)  // the report's work is Python, which the sanitizers do not see
      {"report", {"report", "r.h5", "-o", "new-report", "--png"}, "new-report"},
#endif
  };
  for (const auto& op : operations) {
    // The points: 10%, 45% and 80% of the operation's own uninterrupted time on this machine, the faster of two runs
    // (one slowed by other work would put the late points past the end of the runs that are signalled).
    double whole = 0;
    for (int trial = 0; trial < 2; ++trial) {
      const auto start = std::chrono::steady_clock::now();
      REQUIRE(test::run_tamcarlo(op.args, dir.path()).exit_code == 0);
      const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      whole = trial == 0 ? took : std::min(whole, took);
      fs::remove_all(dir.path() / op.writes);
      fs::remove(dir.path() / fs::path(op.writes).replace_extension(".csv"));
      REQUIRE(listing(dir.path()) == before);
    }
    int interrupted = 0;
    for (const int sig : {SIGINT, SIGTERM, SIGHUP})
      for (const double at : {0.1, 0.45, 0.8}) {
        // A run that finishes before the signal (the timing runs above were slowed by other work) is a whole result;
        // the point is then tried again, earlier, up to twice.
        double when = at * whole;
        for (int attempt = 0; attempt < 3; ++attempt, when *= 0.6) {
          INFO(op.name << ", signal " << sig << " at " << when << " s of " << whole << " s");
          const auto p = test::signal_tamcarlo_after(op.args, dir.path(), when, sig);
          if (p.exit_code == 0) {
            CHECK(fs::exists(dir.path() / op.writes));
            fs::remove_all(dir.path() / op.writes);
            fs::remove(dir.path() / fs::path(op.writes).replace_extension(".csv"));
            CHECK(listing(dir.path()) == before);
            continue;
          }
          ++interrupted;
          CHECK(p.exit_code == 130);
          CHECK_THAT(p.err, Contains("interrupted"));
          CHECK(p.stop_seconds < 2);  // about a second; 2 s leaves room for a loaded 2-core CI machine
          CHECK(listing(dir.path()) == before);
          break;
        }
      }
    CHECK(interrupted >= 8);  // nearly every signal lands while it runs, once tried again earlier
  }
}

// Not built under AddressSanitizer: its 900-input evaluations run several times slower there, so the time to stop
// measures the sanitizer, not the polling (the signal matrix above runs in both builds).
#if !defined(TAMCARLO_SANITIZED)
TEST_CASE("hardening: Ctrl-C stops the Sobol' indices' phase too (once it ran on, for minutes)", "[hardening][signals]") {
  const test::TempDir dir;
  std::string text = "[inputs]\n";
  for (int i = 0; i < 900; ++i) text += "x" + std::to_string(i) + " = { dist = \"uniform\", min = 0, max = 1, source = \"t\" }\n";
  text += "[formulas]\ny = \"x0 + x1 * x899\"\n[outputs]\nreport = [\"y\"]\n";
  // 100,000 base samples × 902 evaluations of a 900-input model: minutes; the signal comes 3 s in.
  const auto p = test::signal_tamcarlo_after({"run", dir.write("k.toml", text), "-n", "1e5", "--sobol", "--threads", "2",
                                             "-o", "s.h5"},
                                            dir.path(), 3.0, SIGINT);
  CHECK(p.exit_code == 130);
  CHECK(p.stop_seconds > 0);
  CHECK(p.stop_seconds < 2);
  CHECK(listing(dir.path()) == std::set<std::string>{"k.toml"});
}
#endif  // !TAMCARLO_SANITIZED

TEST_CASE("hardening: SIGPIPE (a reader that exits) stops a directory run cleanly, said on stderr, exit 141",
          "[hardening][signals]") {
  const test::TempDir dir;
  const fs::path scenarios = dir.path() / "many";
  fs::create_directory(scenarios);
  const std::string text = test::slurp(k_example);
  for (int i = 0; i < 9; ++i) {
    std::string t = text;
    t.replace(t.find("name  = \"cs-ecommerce\""), 22, "name  = \"s" + std::to_string(i) + "\"");
    std::ofstream(scenarios / ("s" + std::to_string(i) + ".toml")) << t;
  }
  const auto p = test::run_shell("cd '" + dir.path().string() + "' && { '" TAMCARLO_EXE "' run many -n 3e6 --threads 2 "
                                 "-o out/ 2>err; echo $? > rc; } | head -c 1 > /dev/null; sleep 3; cat rc err");
  INFO(p.out);
  CHECK(p.out.starts_with("141\n"));
  CHECK_THAT(p.out, Contains("standard output was closed (SIGPIPE"));
  for (const auto& e : fs::directory_iterator(dir.path() / "out")) {  // finished results only, in pairs
    const std::string name = e.path().filename().string();
    CHECK((name.ends_with(".h5") || name.ends_with(".csv")));
    CHECK(fs::exists(fs::path(e.path()).replace_extension(name.ends_with(".h5") ? ".csv" : ".h5")));
  }
}

TEST_CASE("hardening: a pass projected past 7 days (-n 1e15) is refused after 2 s, with the projection",
          "[hardening][errors]") {
  const test::TempDir dir;
  const auto p = test::run_tamcarlo({"run", k_example, "-n", "1e15", "--store", "none", "-o", "big.h5"}, dir.path());
  CHECK(p.exit_code == 3);
  CHECK_THAT(p.err, Contains("a pass would take about") && Contains("more than the 7 days tamcarlo allows one process") &&
                        Contains("--shard i/K"));
  CHECK(listing(dir.path()).empty());
}

TEST_CASE("hardening: a run removes the temporaries of its checkpoint and MPI ranks that killed runs left",
          "[hardening]") {
  const test::TempDir dir;
  const std::string f = dir.write("s.toml", "[inputs]\nx = { dist = \"uniform\", min = 0, max = 1, source = \"t\" }\n");
  // A pid that no longer exists: a child that has exited and been reaped.
  const pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  const std::string g = std::to_string(gone);
  for (const std::string& name : {"r.h5.rank-1.tmp-" + g, "r.h5.rank-12.tmp-" + g, "r.h5.checkpoint.tmp-" + g,
                                 "r.h5.checkpoint.commit.tmp-" + g, "r.h5.tmp-" + g, "r.csv.tmp-" + g})
    (void)dir.write(name, "left by a killed run");
  (void)dir.write("r.h5.rank-x.tmp-" + g, "not ours: kept");
  (void)dir.write("r.h5.rank-1.tmp-" + std::to_string(::getpid()), "a live process's: kept");
  REQUIRE(test::run_tamcarlo({"run", f, "-n", "1000", "-o", "r.h5"}, dir.path()).exit_code == 0);
  CHECK(listing(dir.path()) == std::set<std::string>{"r.csv", "r.h5", "s.toml", "r.h5.rank-x.tmp-" + g,
                                                      "r.h5.rank-1.tmp-" + std::to_string(::getpid())});
}

TEST_CASE("hardening: exit codes and messages as the README's table says, in every command", "[hardening][errors]") {
  const test::TempDir dir;
  const auto in_dir = [&](std::vector<std::string> args) { return test::run_tamcarlo(args, dir.path()); };
  // A missing scenario is a usage error (exit 1), as a missing part or result is (once exit 2, "invalid scenario").
  for (const std::string command : {"run", "validate"}) {
    const auto p = in_dir({command, "nosuch.toml"});
    CHECK(p.exit_code == 1);
    CHECK_THAT(p.err, Contains("nosuch.toml: no such file; give a scenario or suite (.toml)"));
  }
  // merge given a whole run's result: exit 1, named (once exit 3, "not a tamcarlo part").
  REQUIRE(in_dir({"run", k_example, "-n", "1000", "-o", "r.h5"}).exit_code == 0);
  const auto merged = in_dir({"merge", "r.h5", "-o", "m.h5"});
  CHECK(merged.exit_code == 1);
  CHECK_THAT(merged.err, Contains("r.h5 is the result of a whole run, not a shard's part"));
  // -o into a directory that does not exist makes it, as -o new/ does (once exit 3 after the checks).
  CHECK(in_dir({"run", k_example, "-n", "1000", "-o", "new/deeper/x.h5"}).exit_code == 0);
  CHECK(fs::exists(dir.path() / "new/deeper/x.h5"));
  const auto under_file = in_dir({"run", k_example, "-n", "1000", "-o", "r.csv/x.h5"});
  CHECK(under_file.exit_code == 1);
  CHECK_THAT(under_file.err, Contains("r.csv is not a directory"));
  // A name longer than the file system allows, or than leaves room for the checkpoint's temporary: exit 1, said
  // (once "does the directory exist and is it writable?").
  const auto long_name = in_dir({"run", k_example, "-n", "1000", "-o", std::string(300, 'x') + ".h5"});
  CHECK(long_name.exit_code == 1);
  CHECK_THAT(long_name.err, Contains("is 303 bytes long; this file system allows 255 bytes in a name"));
  const auto nearly = in_dir({"run", k_example, "-n", "1000", "-o", std::string(230, 'x') + ".h5"});
  CHECK(nearly.exit_code == 1);
  CHECK_THAT(nearly.err, Contains("use a name of at most 225 bytes"));
  // CLI11's own words never reach the user (once "At Most 1 required but received 2", "1 required TEXT missing").
  const auto twice = in_dir({"run", k_example, "-n", "5", "-n", "6"});
  CHECK(twice.exit_code == 1);
  CHECK_THAT(twice.err, Contains("--samples is given 2 times; give it once"));
  CHECK_THAT(in_dir({"run", k_example, "--store"}).err, Contains("--store needs a value (e.g. --store report)"));
  CHECK_THAT(in_dir({"run", k_example, "--locale", "zh"}).err, Contains("--locale is not an option of `run`"));
  CHECK_THAT(in_dir({"report", "r.h5", "--locale", "fr"}).err, Contains("--locale fr: expected one of en,zh"));
  CHECK_THAT(in_dir({"run", k_example, "--threads", "5000"}).err,
             Contains("--threads 5000: expected a whole number from 1 to 4096"));
  CHECK_THAT(in_dir({"merge"}).err, Contains("merge: give the parts written by `tamcarlo run --shard i/K`"));
  CHECK_THAT(in_dir({}).err, Contains("give a command: run, merge, validate, report or export"));
  // More threads than CPUs: our warning, not TBB's.
  const auto many = in_dir({"run", k_example, "-n", "1000", "--threads", "64", "-o", "t.h5"});
  CHECK(many.exit_code == 0);
  CHECK_THAT(many.err, !Contains("TBB"));
  // A string left open is named as such, at its opening quote (once "unescaped control characters").
  const auto open_quote = in_dir({"validate", dir.write("q.toml", "[inputs]\nx = { dist = \"uniform\", min = 0, "
                                                                   "max = 1, source = \"abc }\n")});
  CHECK(open_quote.exit_code == 2);
  CHECK_THAT(open_quote.err, Contains("q.toml:2:52: error: TOML syntax: this string is not closed: its closing \" is "
                                      "missing before the end of the line"));
  // --set on a formula says it is one (and what --set replaces).
  const auto formula = in_dir({"run", k_example, "--set", "market=3", "-n", "100"});
  CHECK(formula.exit_code == 1);
  CHECK_THAT(formula.err, Contains("`market` is a formula of") && Contains("--set replaces an input"));
  // A wrong value is quoted (once "expected a number, got a string").
  CHECK_THAT(in_dir({"validate", dir.write("v.toml", "[inputs]\nx = { dist = \"uniform\", min = \"zero\", max = 1, "
                                                     "source = \"a\" }\n")})
                 .err,
             Contains("[inputs.x.min] expected a number, got a string (\"zero\")"));
}

TEST_CASE("hardening: --precision refuses a target at 0, exits 4 when the cap binds, prints one target a line",
          "[hardening][errors]") {
  const test::TempDir dir;
  // abridge's MOIC is 0 in most samples: its P5 is 0, and no N makes a half-width small relative to 0 (once the
  // rounds ran to the cap of 1e9 samples and printed "±undefined").
  const auto zero = test::run_tamcarlo({"run", test::source_path("scenarios/investments/abridge.toml"), "--precision",
                                        "moic=1%", "-o", "a.h5"}, dir.path());
  CHECK(zero.exit_code == 1);
  CHECK_THAT(zero.err, Contains("--precision: moic.p5 is 0 or undefined after 65,536 samples") &&
                           Contains("name the others as targets: --precision moic.mean=1%"));
  CHECK_FALSE(fs::exists(dir.path() / "a.h5"));
  // A target the cap does not let it reach: the result is written, and the exit code says it missed (once 0).
  const auto missed = test::run_tamcarlo({"run", k_example, "--precision", "all=0.01%", "-n", "131072", "-o", "m.h5"},
                                         dir.path());
  CHECK(missed.exit_code == 4);
  CHECK_THAT(missed.err, Contains("--precision targets NOT reached by the cap of 131,072 samples; the result was "
                                  "written to m.h5"));
  CHECK(fs::exists(dir.path() / "m.h5"));
  // `all` names every reported output's mean, P5, P50 and P95: one a line (once a single line of 3,000 characters).
  std::size_t longest = 0;
  std::istringstream lines(missed.out);
  for (std::string line; std::getline(lines, line);) longest = std::max(longest, line.size());
  CHECK(longest < 160);
  CHECK_THAT(missed.out, Contains("\n   market.p95 ±"));
}

TEST_CASE("hardening: thousands of warnings are kept in the result file (an attribute over 64 KiB)", "[hardening]") {
  // 2,100 share inputs typed as percentages with no source (two warnings each): 4,200 warnings, 67 KB of references,
  // beyond the 64 KiB an attribute in HDF5's earliest format may hold (the run once did all its work, then failed
  // with "cannot create attribute warnings", exit 3). The report order takes the same way past 3,800 outputs.
  const test::TempDir dir;
  std::string text = "[inputs]\n", formulas = "[formulas]\n";
  for (int i = 0; i < 2100; ++i) {
    const std::string x = "x" + std::to_string(i) + "_share";
    text += x + " = { value = 50 }\n";
    if (i % 500 == 0) formulas += (i > 0 ? "\"\n" : "") + std::string("s") + std::to_string(i / 500) + " = \"0";
    formulas += " + " + x;
  }
  formulas += "\"\ny = \"s0 + s1 + s2 + s3 + s4\"\n";
  const std::string f = dir.write("w.toml", text + formulas + "[outputs]\nreport = [\"y\"]\n");
  const auto p = test::run_tamcarlo({"run", f, "-n", "100", "--store", "none", "-o", "w.h5"}, dir.path());
  REQUIRE(p.exit_code == 0);
  const auto counts = test::run_shell("/usr/bin/python3 -c \"import h5py; f = h5py.File('" + (dir.path() / "w.h5").string() +
                                      "', 'r'); w = f.attrs['warnings']; print(len(w), w[4199])\"");
  CHECK_THAT(counts.out, StartsWith("4200 ") && Contains("[inputs.x2099_share] `x2099_share` is named like a share"));
}

// Not built under AddressSanitizer (its shadow memory inflates the peak RSS).
#if !defined(TAMCARLO_SANITIZED)
TEST_CASE("hardening: 20,000 inputs run in bounded memory, and their quantiles or Sobol' indices are refused up front",
          "[hardening][memory]") {
  const test::TempDir dir;
  std::string text = "[inputs]\n";
  for (int i = 0; i < 19990; ++i) text += "x" + std::to_string(i) + " = { dist = \"uniform\", min = 0, max = 1, source = \"t\" }\n";
  text += "[formulas]\ny = \"x0 + x1 + x19989\"\n[outputs]\nreport = [\"y\"]\n";
  const std::string f = dir.write("k.toml", text);
  // --store all asks exact quantiles of every series (once 7.35 GB and 50 s at 1,000 samples; 17 GB before the
  // engine's chunk buffers were sized to the run).
  const auto all = test::run_tamcarlo({"run", f, "-n", "1000", "--store", "all", "-o", "a.h5"}, dir.path());
  CHECK(all.exit_code == 3);
  CHECK_THAT(all.err, Contains("quantiles of 19,991 series asked") && Contains("--store report"));
  CHECK(all.max_rss_kib < 512 * 1024);
  // --sobol: N × 20,002 evaluations of a 20,000-input model (once still running, at 5 GB, after 13 minutes).
  const auto sobol = test::run_tamcarlo({"run", f, "-n", "1e4", "--sobol", "-o", "s.h5"}, dir.path());
  CHECK(sobol.exit_code == 1);
  CHECK_THAT(sobol.err, Contains("--sobol: k has 19,990 uncertain inputs") && Contains("at most 1,000"));
  CHECK(listing(dir.path()) == std::set<std::string>{"k.toml"});
  // The default (--store report) runs, bounded by its 2 threads' workspaces of about 20,000 slots × 4,096 rows
  // (2 × 655 MB).
  const auto run = test::run_tamcarlo({"run", f, "-n", "1000", "--threads", "2", "-o", "r.h5"}, dir.path());
  CHECK(run.exit_code == 0);
  INFO("peak RSS " << run.max_rss_kib / 1024 << " MiB");
  CHECK(run.max_rss_kib < 1536 * 1024);
}
#endif  // !TAMCARLO_SANITIZED

TEST_CASE("hardening: laws whose draws would overflow, underflow or hang are refused at validation", "[hardening][errors]") {
  const test::TempDir dir;
  // {law, the key the message names, a phrase of the reason}: the issue's reproducers (once Boost
  // domain_error aborts, NaN or non-finite draws, a 257 s quantile inversion).
  const std::vector<std::array<std::string, 3>> cases = {
      {R"(dist = "gamma", mean = 1, sd = 1e200)", "inputs.x.sd", "must lie in [0.001, 1e+07]"},
      {R"(dist = "gamma", mean = 1e-200, sd = 1)", "inputs.x.sd", "give gamma(shape = 0"},
      {R"(dist = "beta", mean = 0.5, sd = 1e-160)", "inputs.x.sd", "give beta(alpha = inf"},
      {R"(dist = "pert", min = 0, mode = 1, max = 1e308)", "inputs.x.max", "beyond ±1e+300"},
      {R"(dist = "uniform", min = -1.7e308, max = 1.7e308)", "inputs.x.min", "beyond ±1e+300"},
      {R"(dist = "beta", alpha = 1e-300, beta = 1e-300)", "inputs.x.alpha", "must lie in [0.001, 1e+07]"},
      {R"(dist = "beta", alpha = 1e50, beta = 1e50)", "inputs.x.alpha", "the law is a spike"},
      {R"(dist = "lognormal", median = 1, sigma = 30)", "inputs.x.sigma", "must be in (0, 20]"},
      {R"(dist = "discrete", values = [1, 2], weights = [1e308, 1e308])", "inputs.x.weights", "beyond ±1e+300"},
  };
  for (const auto& [law, key, why] : cases) {
    INFO(law);
    const std::string f = dir.write("d.toml", "[inputs]\nx = { " + law + ", source = \"test\" }\n");
    const auto p = test::run_tamcarlo({"validate", f});
    CHECK(p.exit_code == 2);
    CHECK_THAT(p.err, Contains("d.toml:2:") && Contains("[" + key + "]") && Contains(why));
  }
}

TEST_CASE("hardening: formulas nested too deep or too long are refused with their limit", "[hardening][errors]") {
  const test::TempDir dir;
  const auto formula = [&](const std::string& text) {
    return test::run_tamcarlo({"validate", dir.write("f.toml", "[inputs]\na = 1\n[formulas]\nb = \"" + text + "\"\n")});
  };
  const auto deep = formula(std::string(5000, '(') + "a" + std::string(5000, ')'));  // once a stack overflow
  CHECK(deep.exit_code == 2);
  CHECK_THAT(deep.err, Contains("[formulas.b] nested more than 200 levels deep") && Contains("…"));
  CHECK(formula(std::string(20000, '-') + "a").exit_code == 2);
  CHECK(formula("abs(" + std::string(3700, '(') + "a" + std::string(3700, ')') + ")").exit_code == 2);
  std::string sum = "a";
  for (int i = 0; i < 80000; ++i) sum += "+a";  // once quadratic: over 120 s to parse
  const auto t0 = std::chrono::steady_clock::now();
  const auto many = formula(sum);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
  CHECK(many.exit_code == 2);
  CHECK_THAT(many.err, Contains("more than 5000 operations"));
  std::string ok = "a";
  for (int i = 0; i < 4000; ++i) ok += "+a";
  CHECK(formula(ok).exit_code == 0);
  CHECK_THAT(formula("a * 1e999").err, Contains("number out of range"));
  std::string args = "a";
  for (int i = 0; i < 64; ++i) args += ",a";
  CHECK_THAT(formula("max(" + args + ")").err, Contains("`max` takes at most 64 arguments, got 65"));
}

TEST_CASE("hardening: a full disk gives a clear error and leaves nothing behind", "[hardening][errors]") {
  const test::TempDir dir;
  const fs::path disk = dir.path() / "small";
  fs::create_directory(disk);
  if (::geteuid() != 0 || std::system(("mount -t tmpfs -o size=1m tmpfs " + disk.string() + " 2>/dev/null").c_str()) != 0) {
    WARN("skipped: mounting a 1 MiB tmpfs needs root (and the right to mount)");
    return;
  }
  // Refused up front: the stored samples alone exceed the free space.
  const auto big = run_to((disk / "r.h5").string(), {"-n", "1e5"});
  // Passes the up-front check, then the disk fills while HDF5 writes (once a segfault, exit 139).
  // (--store all: 6 columns, the constant jd_goods_revenue being a scalar; 21,000 × 6 × 8 B = 1.01 MB.)
  const auto p =
      test::run_tamcarlo({"run", k_example, "-n", "21000", "--store", "all", "-o", (disk / "s.h5").string()});
  // Two scenarios that fit one at a time but not together: both refused before either is written (once the
  // first was written, then the second refused).
  const fs::path two = dir.path() / "two";
  fs::create_directory(two);
  std::string text = test::slurp(k_example);
  const auto named = [&](const std::string& name) {
    std::string t = text;
    t.replace(t.find("name  = \"cs-ecommerce\""), 22, "name  = \"" + name + "\"");
    return t;
  };
  std::ofstream(two / "a.toml") << named("a");
  std::ofstream(two / "b.toml") << named("b");
  const auto both = test::run_tamcarlo(
      {"run", two.string(), "-n", "14000", "--store", "all", "-o", (disk / "both").string() + "/"});
  const std::set<std::string> left = listing(disk);
  const std::set<std::string> left_in_both = fs::is_directory(disk / "both") ? listing(disk / "both") : std::set<std::string>{};
  // A report that fills the disk blames the disk, not its input (once "<result>: [Errno 28] ..."), and leaves
  // nothing there.
  const fs::path result = dir.path() / "r.h5";
  REQUIRE(run_to(result.string(), {"-n", "1e4"}).exit_code == 0);
  const auto report = test::run_tamcarlo({"report", result.string(), "--png", "--dpi", "600", "-o", (disk / "rep").string()});
  const std::set<std::string> left_by_report = listing(disk);
  // A checkpoint (16 MB of pass state) that does not fit on a disk where the result (--store none) does: the run
  // goes on without checkpoints and writes its result (once the run failed).
  fs::remove_all(disk / "both");
  const auto checkpointed = test::run_tamcarlo({"run", k_example, "-n", "2e7", "--store", "none", "--threads", "2",
                                                "--checkpoint", "0.05", "-o", (disk / "c.h5").string()});
  const std::set<std::string> left_by_checkpoint = listing(disk);
  std::system(("umount " + disk.string()).c_str());
  CHECK(report.exit_code == 3);
  CHECK_THAT(report.err, Contains("cannot write the report to " + (disk / "rep").string() + ": No space left on "
                                  "device (the disk is full); nothing was written there"));
  CHECK(left_by_report == std::set<std::string>{"both"});
  INFO(checkpointed.err);
  CHECK(checkpointed.exit_code == 0);
  CHECK_THAT(checkpointed.err, Contains("this run goes on without checkpoints"));
  CHECK(left_by_checkpoint == std::set<std::string>{"c.csv", "c.h5"});
  CHECK(big.exit_code == 3);
  CHECK_THAT(big.err, Contains("the stored samples need") && Contains("is free there"));
  CHECK(p.exit_code == 3);
  CHECK_THAT(p.err, Contains("cannot write " + (disk / "s.h5").string()) && Contains("is full"));
  CHECK(both.exit_code == 3);
  CHECK_THAT(both.err, Contains("the stored samples need 1.28 MiB"));
  CHECK(left == std::set<std::string>{"both"});  // the directory -o names,
  CHECK(left_in_both.empty());                    // empty
}

TEST_CASE("hardening: out-of-range years, seeds and sample counts get messages that say so", "[hardening][errors]") {
  const test::TempDir dir;
  for (const char* years : {"[-9223372036854775808, 0]", "[2147483647, 2147483648]"}) {
    INFO(years);
    const auto p = test::run_tamcarlo(
        {"validate", dir.write("y.toml", std::string("[scenario]\nyears = ") + years + "\n[inputs]\nx = 1\n")});
    CHECK(p.exit_code == 2);  // once: a 350 MB/s runaway, and a timeline printed as 2147483647–-2147483648
    CHECK_THAT(p.err, Contains("y.toml:2:9: error: [scenario.years]") && Contains("is not a year tamcarlo takes"));
  }
  for (const char* seed : {"-1", "18446744073709551616", "1e3"}) {
    INFO(seed);
    const auto p = test::run_tamcarlo({"run", k_example, "--point", "--seed", seed});
    CHECK(p.exit_code == 1);  // once: silently 18446744073709551615
    CHECK_THAT(p.err, Contains(std::string("`") + seed + "` is not a seed"));
  }
  CHECK(test::run_tamcarlo({"run", k_example, "--point", "--seed", "18446744073709551615"}).exit_code == 0);
  const auto n = test::run_tamcarlo({"run", k_example, "-n", "1e19"});
  CHECK(n.exit_code == 1);
  CHECK_THAT(n.err, Contains("more than the 1e15 samples a run may take"));
}

TEST_CASE("hardening: a killed run's temporaries are removed by the next run, a live one's are kept", "[hardening]") {
  const test::TempDir dir;
  const pid_t gone = ::fork();  // a process that has exited: its pid names no process now
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  const std::string stale = dir.write("r.h5.tmp-" + std::to_string(gone), "half-written");
  const std::string stale_csv = dir.write("r.csv.tmp-" + std::to_string(gone), "half-written");
  const std::string live = dir.write("r.h5.tmp-1", "pid 1 is alive");  // init: never removed
  REQUIRE(run_to((dir.path() / "r.h5").string()).exit_code == 0);
  CHECK_FALSE(fs::exists(stale));
  CHECK_FALSE(fs::exists(stale_csv));
  CHECK(fs::exists(live));
}

TEST_CASE("hardening: a commit killed between its renames is finished by the next run or report", "[hardening]") {
  // The state SIGKILL leaves between the two renames, made by hand: the journal written, the new HDF5 in
  // place, the new CSV still a temporary of a dead process, the old CSV beside the new HDF5.
  const test::TempDir fresh, dir;
  REQUIRE(run_to((fresh.path() / "new.h5").string(), {"--seed", "2"}).exit_code == 0);
  REQUIRE(run_to((dir.path() / "r.h5").string(), {"--seed", "1"}).exit_code == 0);
  const std::string new_h5 = test::slurp(fresh.path() / "new.h5"), new_csv = test::slurp(fresh.path() / "new.csv");
  REQUIRE(new_csv != test::slurp(dir.path() / "r.csv"));
  const pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  const std::string pid = std::to_string(gone);
  const auto interrupted = [&](bool h5_renamed) {
    fs::copy_file(fresh.path() / "new.h5", dir.path() / (h5_renamed ? "r.h5" : "r.h5.tmp-" + pid),
                  fs::copy_options::overwrite_existing);
    fs::copy_file(fresh.path() / "new.csv", dir.path() / ("r.csv.tmp-" + pid));
    const std::string journal = "r.h5.tmp-" + pid + '\0' + "r.h5" + '\0' + "r.csv.tmp-" + pid + '\0' + "r.csv" + '\0';
    (void)dir.write("r.h5.commit", journal);
  };
  SECTION("tamcarlo report finishes it before reading") {
    interrupted(true);
    const auto r = test::run_tamcarlo({"report", (dir.path() / "r.h5").string(), "-o", (dir.path() / "rep").string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(test::slurp(dir.path() / "r.csv") == new_csv);
    CHECK(listing(dir.path()) == std::set<std::string>{"r.csv", "r.h5", "rep"});
  }
  SECTION("the next run to the same path finishes it (both renames pending), then replaces the pair") {
    interrupted(false);
    CHECK(finish_interrupted_commit((dir.path() / "r.h5").string()));
    CHECK(test::slurp(dir.path() / "r.h5") == new_h5);
    CHECK(test::slurp(dir.path() / "r.csv") == new_csv);
    CHECK(listing(dir.path()) == std::set<std::string>{"r.csv", "r.h5"});
    interrupted(true);
    REQUIRE(run_to((dir.path() / "r.h5").string(), {"--seed", "3"}).exit_code == 0);
    CHECK(listing(dir.path()) == std::set<std::string>{"r.csv", "r.h5"});
  }
  SECTION("a journal naming files other than the result and its CSV is not acted on") {
    (void)dir.write("r.h5.commit", std::string("victim.txt") + '\0' + "r.h5" + '\0');
    (void)dir.write("victim.txt", "keep");
    CHECK_FALSE(finish_interrupted_commit((dir.path() / "r.h5").string()));
    CHECK(test::slurp(dir.path() / "victim.txt") == "keep");
  }
}

TEST_CASE("hardening: concurrent runs to one path leave a matching HDF5 and CSV", "[hardening]") {
  const test::TempDir dir;
  const std::string out = (dir.path() / "r.h5").string();
  for (int round = 0; round < 4; ++round) {
    auto a = std::async(std::launch::async, [&] { return run_to(out, {"--seed", std::to_string(2 * round + 1)}); });
    auto b = std::async(std::launch::async, [&] { return run_to(out, {"--seed", std::to_string(2 * round + 2)}); });
    REQUIRE(a.get().exit_code == 0);
    REQUIRE(b.get().exit_code == 0);
    // The CSV's market mean is the HDF5's: both came from the same run.
    const double mean = read_number_attribute(out, "/summary/market", "mean");
    std::ifstream csv(dir.path() / "r.csv");
    std::string line, row;
    while (std::getline(csv, line))
      if (line.starts_with("market,")) row = line;
    std::vector<std::string> fields;
    std::stringstream ss(row);
    for (std::string f; std::getline(ss, f, ',');) fields.push_back(f);
    REQUIRE(fields.size() > 8);
    CHECK(std::stod(fields[8]) == Approx(mean).epsilon(1e-12));
  }
  CHECK(listing(dir.path()) == std::set<std::string>{"r.csv", "r.h5"});
}

TEST_CASE("hardening: a variable with no finite sample reports undefined statistics, not 0", "[hardening]") {
  const test::TempDir dir;
  const std::string f = dir.write(
      "nf.toml", "[inputs]\nu = { dist = \"uniform\", min = 0, max = 1, source = \"test\" }\n[formulas]\nx = \"log(u - 2)\"\n");
  const auto p = test::run_tamcarlo({"run", f, "-n", "1000", "--json", "-o", (dir.path() / "nf.h5").string()});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("\"mean\":null") && Contains("\"nonfinite\":1000"));
  CHECK(std::isnan(read_number_attribute((dir.path() / "nf.h5").string(), "/summary/x", "mean")));
}

TEST_CASE("hardening: unknown commands and repeated stress names are usage errors before any work", "[hardening][errors]") {
  const auto frob = test::run_tamcarlo({"frob"});
  CHECK(frob.exit_code == 1);
  CHECK_THAT(frob.err, Contains("unknown command `frob`"));
  const auto twice = test::run_tamcarlo(
      {"run", test::source_path("scenarios/investments/augment.toml"), "--stress", "bear,bear", "-n", "1000"});
  CHECK(twice.exit_code == 1);
  CHECK_THAT(twice.err, Contains("--stress names `bear` twice"));
}

TEST_CASE("hardening: options that would be ignored or replace an input are usage errors (exit 1) before any work", "[hardening][errors]") {
  const test::TempDir dir;
  const std::string f = dir.write("s.toml", "[inputs]\nx = { dist = \"uniform\", min = 0, max = 1, source = \"t\" }\n"
                                            "[formulas]\ny = \"2 * x\"\n");
  const auto refused = [&](const std::vector<std::string>& args, const std::string& says) {
    const auto p = test::run_tamcarlo(args, dir.path());
    INFO(p.err);
    CHECK(p.exit_code == 1);
    CHECK_THAT(p.err, Contains(says));
  };
  refused({"run", f, "--shard", "0/2", "--resume"}, "--resume does not go with --shard");
  refused({"run", f, "--checkpoint", "nan"}, "--checkpoint nan: expected seconds");
  refused({"run", f, "--point", "--sobol"}, "--point evaluates the formulas once");
  refused({"run", f, "--point", "-o", "p.h5"}, "does not go with --sobol, --resume, -o or --stress");
  refused({"run", f, "--set", "x=1", "--set", "x=2"}, "--set x is given twice");
  refused({"run", f, "-o", ""}, "the output path is empty");
  refused({"run", f, "--store", "foo"}, "--store foo: expected all (every input and formula), report");
  refused({"run", f, "--store", "2"}, "--store 2: expected all");
  const std::string g = dir.write("t.toml", "[inputs]\nx = { dist = \"uniform\", min = 0, max = 1, source = \"t\" }\n"
                                            "[formulas]\nz = \"3 * x\"\n");
  refused({"run", f, g, "-o", "one.h5"}, "several scenarios write several results, so -o names a directory");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "one.h5"));
  refused({"merge", "missing.h5"}, "merge: missing.h5: no such file");
  // merge -o one of its own parts: refused, the part untouched.
  REQUIRE(test::run_tamcarlo({"run", f, "-n", "10000", "--shard", "0/2", "-o", "a0.h5"}, dir.path()).exit_code == 0);
  REQUIRE(test::run_tamcarlo({"run", f, "-n", "10000", "--shard", "1/2", "-o", "a1.h5"}, dir.path()).exit_code == 0);
  const auto part = dir.path() / "a0.h5";
  REQUIRE(std::filesystem::exists(part));
  const auto size = std::filesystem::file_size(part);
  refused({"merge", "a0.h5", "a1.h5", "-o", part.string()}, "the result would replace one of its own parts");
  CHECK(std::filesystem::file_size(part) == size);
  // A run's result does not replace a part without --force, nor a shard's part a result; a shard may rewrite its part.
  refused({"run", f, "-n", "1000", "-o", "a1.h5"}, "a1.h5 is a shard's part (merge reads it)");
  REQUIRE(test::run_tamcarlo({"run", f, "-n", "1000", "-o", "whole.h5"}, dir.path()).exit_code == 0);
  refused({"run", f, "-n", "10000", "--shard", "0/2", "-o", "whole.h5"}, "whole.h5 is a run's result, not a shard's part");
  CHECK(test::run_tamcarlo({"run", f, "-n", "10000", "--shard", "1/2", "-o", "a1.h5"}, dir.path()).exit_code == 0);
  CHECK(test::run_tamcarlo({"run", f, "-n", "1000", "-o", "a1.h5", "--force"}, dir.path()).exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "results"));  // nothing created by the refused commands
}

TEST_CASE("hardening: usage errors found after parsing leave no results/ directory behind", "[hardening][errors]") {
  const test::TempDir dir;
  const std::string body = "[inputs]\nsalary = { dist = \"uniform\", min = 1, max = 2, source = \"t\" }\n"
                           "[formulas]\ny = \"2 * salary\"\n";
  const std::string f = dir.write("s.toml", body);
  const std::string lhs = dir.write("l.toml", "[scenario]\ndesign = \"lhs\"\n" + body);
  const std::vector<std::vector<std::string>> cases = {{"run", f, "--stress", "nosuch"}, {"run", f, "--set", "nosuch=3"},
                                                       {"run", f, "--set", "salary=abc"}, {"run", lhs, "-n", "1"},
                                                       {"run", f, "--stress", "all"}};
  for (const auto& args : cases) {
    const auto p = test::run_tamcarlo(args, dir.path());
    INFO(args[2] << " " << args[3] << ": " << p.err);
    CHECK(p.exit_code == 1);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "results"));
  }
}

TEST_CASE("hardening: a run leaves alone what is at its checkpoint path unless it is a tamcarlo checkpoint", "[hardening]") {
  const test::TempDir dir;
  const std::string f = dir.write("s.toml", "[inputs]\nx = { dist = \"uniform\", min = 0, max = 1, source = \"t\" }\n"
                                            "[formulas]\ny = \"2 * x\"\n");
  // A user's file and an empty directory where a checkpoint would go: kept, and the run says so.
  const std::string mine = dir.write("r.h5.checkpoint", "my notes\n");
  const auto p = test::run_tamcarlo({"run", f, "-n", "1000", "-o", "r.h5"}, dir.path());
  CHECK(p.exit_code == 0);
  CHECK_THAT(p.err, Contains("r.h5.checkpoint is not a tamcarlo checkpoint; this run leaves it alone"));
  std::ifstream kept(mine);
  std::string line;
  std::getline(kept, line);
  CHECK(line == "my notes");
  std::filesystem::create_directory(dir.path() / "q.h5.checkpoint");
  CHECK(test::run_tamcarlo({"run", f, "-n", "1000", "-o", "q.h5", "--checkpoint", "1"}, dir.path()).exit_code == 0);
  CHECK(std::filesystem::is_directory(dir.path() / "q.h5.checkpoint"));
}

// Not built under AddressSanitizer (its shadow memory inflates the peak RSS): a test that could check nothing there is left out rather than
// passing empty.
#if !defined(TAMCARLO_SANITIZED)
TEST_CASE("hardening: 10,000 inputs run in bounded memory (once 7.85 GB at 50,000 samples)", "[hardening][memory]") {
  const test::TempDir dir;
  std::string text = "[inputs]\n";
  for (int i = 0; i < 10000; ++i) text += "x" + std::to_string(i) + " = { dist = \"uniform\", min = 0, max = 1, source = \"test\" }\n";
  text += "[formulas]\ny = \"x0 + x1 + x9999\"\n[outputs]\nreport = [\"y\"]\n";
  const auto p = test::run_tamcarlo({"run", dir.write("many.toml", text), "-n", "20000", "--store", "none", "--threads", "2",
                                     "-o", (dir.path() / "m.h5").string()});
  REQUIRE(p.exit_code == 0);
  INFO("peak RSS " << p.max_rss_kib / 1024 << " MiB");
  // Two block workspaces of 4,096 rows × 10,002 slots (2 × 328 MB), and the sensitivities' at most
  // 16M values (128 MB): the bound does not grow with the sample count.
  CHECK(p.max_rss_kib < 900 * 1024);
}
#endif  // !TAMCARLO_SANITIZED

// Not built under AddressSanitizer (its shadow memory inflates the peak RSS): a test that could check nothing there is left out rather than
// passing empty.
#if !defined(TAMCARLO_SANITIZED)
TEST_CASE("hardening: a 1,000,000-value empirical list runs in bounded time and memory", "[hardening][memory]") {
  const test::TempDir dir;
  std::string text = "[inputs]\nx = { dist = \"empirical\", source = \"test\", data = [";
  for (int i = 0; i < 1'000'000; ++i) text += std::to_string(i % 1000) + ".5, ";  // 0.5 … 999.5, each 1,000 times
  text += "] }\n[outputs]\nreport = [\"x\"]\n";
  const auto p = test::run_tamcarlo({"run", dir.write("list.toml", text), "-n", "20000", "--store", "none", "--json",
                                     "-o", (dir.path() / "e.h5").string()});
  REQUIRE(p.exit_code == 0);
  INFO("peak RSS " << p.max_rss_kib / 1024 << " MiB");
  // The list (8 MB of doubles) and toml++'s parsed array (about 100 bytes a value) dominate.
  CHECK(p.max_rss_kib < 400 * 1024);
  CHECK_THAT(p.out, Contains("\"law\":\"empirical(1000000 observations)\""));
}
#endif  // !TAMCARLO_SANITIZED

TEST_CASE("hardening: TOML nested thousands deep is refused before toml++ recurses into it", "[hardening][errors]") {
  const test::TempDir dir;
  std::string dotted = "a";
  for (int i = 0; i < 50000; ++i) dotted += ".a";  // once a segfault inside toml++
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[inputs]\n" + dotted + " = 1\n", "a dotted key nests more than 64 deep"},
      {"[inputs]\nx = " + std::string(5000, '[') + std::string(5000, ']') + "\n", "arrays and tables nest more than 64 deep"},
      {"[inputs]\nx = \"" + std::string(5000, '[') + "\"\n", ""},  // inside a string: not nesting
  };
  for (const auto& [text, why] : cases) {
    const auto p = test::run_tamcarlo({"validate", dir.write("n.toml", text)});
    if (why.empty()) {
      CHECK(p.exit_code == 2);  // a string is not a number: refused for that, located, not for nesting
      CHECK_THAT(p.err, !Contains("nest"));
      continue;
    }
    CHECK(p.exit_code == 2);
    CHECK_THAT(p.err, Contains("n.toml:2:") && Contains(why));
  }
}

TEST_CASE("hardening: Ctrl-C is honoured within about a second in the pilot, the sampling pass and later", "[hardening][errors]") {
  const test::TempDir dir;
  for (const char* after : {"0.3", "0.9", "2.5"}) {  // the pilot of 8 Mi samples, then the main pass
    INFO("SIGINT after " << after << " s");
    const std::string out = (dir.path() / "r.h5").string();
    const std::string cmd = std::string("timeout --preserve-status -s INT ") + after + " " + TAMCARLO_EXE + " run " +
                            k_example + " -n 1e9 --store none -o " + out + " >/dev/null 2>&1";
    const auto t0 = std::chrono::steady_clock::now();
    const int status = std::system(cmd.c_str());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(seconds < std::stod(after) + 2.0);
    CHECK(fs::is_empty(dir.path()));
  }
}

TEST_CASE("hardening: report refuses a file that only looks like a result (once exit 0, \"0 charts\")", "[hardening][report]") {
  const test::TempDir dir;
  const std::string fake = (dir.path() / "fake.h5").string();
  const std::string make = "/usr/bin/python3 -c \"import h5py; f = h5py.File('" + fake +
                           "', 'w'); f.attrs['tamcarlo_version'] = '0.1.0'; f.attrs['kind'] = 'scenario'; "
                           "f.attrs['format_version'] = 2; f.close()\"";
  REQUIRE(std::system(make.c_str()) == 0);
  const auto p = test::run_tamcarlo({"report", fake, "-o", (dir.path() / "rep").string()});
  CHECK(p.exit_code == 1);
  CHECK_THAT(p.err, Contains("fake.h5") && Contains("no summary/ group"));
  CHECK(listing(dir.path()) == std::set<std::string>{"fake.h5"});
}

TEST_CASE("hardening: control characters never reach the terminal, and text fields refuse them", "[hardening][errors]") {
  const test::TempDir dir;
  // An escape sequence in a title (once printed raw: it recoloured the terminal) is refused where it stands.
  const std::string title = dir.write("title.toml", "[scenario]\nname = \"x\"\ntitle = \"a \\u001b[31mred\"\n"
                                                     "[inputs]\na = 1\n[outputs]\nreport = [\"a\"]\n");
  const auto t = test::run_tamcarlo({"validate", title});
  CHECK(t.exit_code == 2);
  CHECK_THAT(t.err, Contains(":3:9: error: [scenario.title] contains the control character \\u{1b}"));
  CHECK(t.err.find('\x1b') == std::string::npos);
  // In a name, a formula or an unknown command the message shows it escaped.
  const std::string key = dir.write("key.toml", "[scenario]\nname = \"x\"\n[inputs]\n\"b\\u0007\\u009b\" = 1\n");
  const auto k = test::run_tamcarlo({"validate", key});
  CHECK(k.exit_code == 2);
  CHECK_THAT(k.err, Contains("`b\\u{7}\\u{9b}` is not a valid name"));
  const auto c = test::run_tamcarlo({"fr\x1b[2Job"});
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Contains("unknown command `fr\\u{1b}[2Job`"));
  // Multi-line descriptions and sources keep their newlines and tabs.
  const std::string ok = dir.write("ok.toml", "[scenario]\nname = \"x\"\ndescription = \"\"\"two\n\tlines\"\"\"\n"
                                              "[inputs]\na = 1\n[outputs]\nreport = [\"a\"]\n");
  CHECK(test::run_tamcarlo({"validate", ok}).exit_code == 0);
}

TEST_CASE("hardening: a suite given as a suite member is named as such (once \"unknown section `cells`\")",
          "[hardening][errors]") {
  const test::TempDir dir;
  (void)dir.write("cell.toml", "[scenario]\nname = \"c\"\n[inputs]\nm = { dist = \"uniform\", min = 1, max = 2 }\n"
                               "[outputs]\nreport = [\"m\"]\n");
  const std::string stars = "stars = { market = 1, logic = 1, compute = 1, corpus = 1 }\n";
  (void)dir.write("inner.toml", "[suite]\nname = \"inner\"\nrank_by = \"market\"\n[cells.a]\nfile = \"cell.toml\"\n"
                                "market = \"m\"\n" + stars + "[cells.b]\nfile = \"cell.toml\"\nmarket = \"m\"\n" + stars);
  const std::string outer = dir.write("outer.toml", "[suite]\nname = \"outer\"\nrank_by = \"market\"\n[cells.a]\n"
                                                    "file = \"inner.toml\"\nmarket = \"m\"\n" + stars);
  const auto r = test::run_tamcarlo({"validate", outer});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("inner.toml:1:1: error: [suite] this file is a suite ([suite]), where a scenario is "
                             "expected: suites do not nest"));
}
