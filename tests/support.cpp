#include "tests/support.hpp"

#include <cstdio>

#include <fcntl.h>
#include <csignal>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace tamcarlo::test {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("tamcarlo-test-" + std::to_string(rd()) + std::to_string(::getpid()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
  const auto p = path_ / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

Scenario scenario(const std::string& text) { return parse_scenario(text, "test.toml"); }

EngineOutput run_all(const Scenario& s, std::uint64_t n, unsigned threads, std::uint64_t seed) {
  const Plan plan(s);
  EngineOptions opt;
  opt.seed = seed;
  opt.samples = n;
  opt.threads = threads;
  opt.keep.assign(plan.series().size(), true);
  return run_engine(plan, opt);
}

namespace {

// Starts tamcarlo with `args` in `cwd`, output to files in `io`; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& cwd, const std::filesystem::path& io,
            const std::vector<std::string>& launcher = {}) {
  const auto out_path = io / "stdout", err_path = io / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const std::string dir = cwd.empty() ? std::filesystem::current_path().string() : cwd.string();
  std::vector<std::string> all = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir};
  all.insert(all.end(), launcher.begin(), launcher.end());
  all.push_back(TAMCARLO_EXE);
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " TAMCARLO_EXE);
  return pid;
}

Process finish(pid_t pid, const std::filesystem::path& io) {
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  Process p;
  p.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  p.out = slurp(io / "stdout");
  p.err = slurp(io / "stderr");
  p.max_rss_kib = usage.ru_maxrss;
  return p;
}

}  // namespace

Process run_tamcarlo(const std::vector<std::string>& args, const std::filesystem::path& cwd) {
  const TempDir io;
  return finish(spawn(args, cwd, io.path()), io.path());
}

Process interrupt_tamcarlo(const std::vector<std::string>& args, const std::filesystem::path& watch, int sig) {
  const TempDir io;
  const pid_t pid = spawn(args, {}, io.path());
  for (int i = 0; i < 2000 && std::filesystem::is_empty(watch); ++i) ::usleep(5000);
  ::kill(pid, sig);
  ::kill(pid, sig);
  return finish(pid, io.path());
}

Process signal_tamcarlo_after(const std::vector<std::string>& args, const std::filesystem::path& cwd, double seconds,
                              int sig) {
  const TempDir io;
  const pid_t pid = spawn(args, cwd, io.path());
  const auto start = std::chrono::steady_clock::now();
  // Exited already? (WNOWAIT keeps the child for finish to reap.)
  const auto exited = [pid] {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
  };
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds && !exited())
    ::usleep(2000);
  const bool running = !exited();
  const auto signalled = std::chrono::steady_clock::now();
  if (running) ::kill(pid, sig);
  Process p = finish(pid, io.path());
  if (running) p.stop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  return p;
}

Process run_launched(const std::vector<std::string>& launcher, const std::vector<std::string>& args) {
  const TempDir io;
  return finish(spawn(args, {}, io.path(), launcher), io.path());
}

Process kill_tamcarlo_when(const std::vector<std::string>& args, const std::filesystem::path& file, int sig) {
  const TempDir io;
  const pid_t pid = spawn(args, {}, io.path());
  for (int i = 0; i < 6000 && !std::filesystem::exists(file); ++i) ::usleep(5000);
  ::kill(pid, sig);
  return finish(pid, io.path());
}

std::string h5_differences(const std::string& a, const std::string& b) {
  const TempDir io;
  const std::string out = (io.path() / "diff").string();
  const int rc = std::system(("h5diff -r '" + a + "' '" + b + "' > '" + out + "' 2>&1").c_str());
  if (rc == 0) return {};
  const std::string text = slurp(out);
  return text.empty() ? "h5diff failed (is hdf5-tools installed?)" : text.substr(0, 4000);
}

double ks(std::vector<double> x, const Distribution& d) {
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double f = cdf(d, x[i]);
    worst = std::max({worst, std::fabs(f - static_cast<double>(i) / n), std::fabs(static_cast<double>(i + 1) / n - f)});
  }
  return std::sqrt(n) * worst;
}

std::string error_of(const std::string& text) {
  try {
    (void)scenario(text);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

Process run_shell(const std::string& command) {
  Process p;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return p;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe)) p.out += buf;
  const int status = pclose(pipe);
  p.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return p;
}

std::string source_path(const std::string& relative) { return std::string(TAMCARLO_SOURCE_DIR) + "/" + relative; }

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace tamcarlo::test
