// tamcarlo: reads the command line, calls the command, maps errors to the documented exit codes.
#include "sim/base/error.hpp"
#include "sim/base/text.hpp"
#include "sim/cmd/cli.hpp"
#include "sim/cmd/commands.hpp"
#include "sim/run/mpi_ranks.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <new>
#include <variant>

#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

using namespace tamcarlo;

namespace {

// Set by SIGINT, SIGTERM, SIGHUP (a closed terminal, a dropped ssh session), SIGQUIT or SIGPIPE during run and merge; the
// engine polls it between blocks. (A signal handler can only reach
// a global.) The handler stays installed: a repeated signal (a second Ctrl-C, or `timeout` signalling the process
// and its group) must not kill the process between creating and removing its temporary file.
std::atomic<bool> g_cancel{false};
std::atomic<int> g_signal{0};  // the first signal that arrived

extern "C" void on_signal(int sig) {
  int none = 0;
  (void)g_signal.compare_exchange_strong(none, sig);
  g_cancel.store(true);
}

// SIGPIPE: the reader of standard output went away (`tamcarlo run dir/ | head -1`). The run stops as for Ctrl-C,
// leaving every result it finished and nothing half-written, and says so on stderr: exit 141 (128 + SIGPIPE).
int pipe_closed() {
  std::cerr << "tamcarlo: standard output was closed (SIGPIPE: the program reading it exited); the run stopped, "
               "results finished before are kept, nothing half-written remains\n";
  return 128 + SIGPIPE;
}

// The command the line asks for.
int dispatch(CommandLine& cl, Ranks* ranks) {
  check_command_line(cl, ranks);
  switch (cl.kind) {
    case CommandKind::run:
    case CommandKind::merge:
      for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) std::signal(sig, on_signal);
      return cl.kind == CommandKind::run ? cmd_run(cl.run, ranks, g_cancel) : cmd_merge(cl.merge, ranks, g_cancel);
    case CommandKind::report: return cmd_report(cl.report);
    case CommandKind::export_: return cmd_export(cl.export_);
    case CommandKind::fit: return cmd_fit(cl.fit);
    case CommandKind::validate: return cmd_validate(cl.validate_files);
  }
  return static_cast<int>(ExitCode::usage);
}

int run_main(int argc, char** argv, Ranks* ranks) {
  auto parsed = parse_command_line(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) return *code;
  try {
    const int code = dispatch(std::get<CommandLine>(parsed), ranks);
    return g_signal.load() == SIGPIPE ? pipe_closed() : code;  // a pipe closed after the last check
  } catch (const Interrupted& e) {
    if (g_signal.load() == SIGPIPE) return pipe_closed();
    std::cerr << "tamcarlo: error: " << e.what() << '\n';
    return static_cast<int>(e.exit_code());
  } catch (const Error& e) {
    std::cerr << (dynamic_cast<const ScenarioError*>(&e) ? "" : "tamcarlo: error: ") << terminal_safe(e.what()) << '\n';
    return static_cast<int>(e.exit_code());
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "tamcarlo: error: " << terminal_safe(e.what()) << '\n';
    return static_cast<int>(ExitCode::run_failure);
  } catch (const std::bad_alloc&) {
    std::cerr << "tamcarlo: error: out of memory; use fewer samples or --store report|none\n";
    return static_cast<int>(ExitCode::run_failure);
  } catch (const std::exception& e) {
    // Anything else is a defect of tamcarlo, not of the input: say so rather than abort.
    std::cerr << "tamcarlo: internal error: " << terminal_safe(e.what()) << " (please report it with the scenario)\n";
    return static_cast<int>(ExitCode::run_failure);
  }
}


// Freed blocks up to 2 MiB (a 10⁵-sample run's columns and their sort keys) stay in the process and are reused, rather
// than unmapped and faulted in (zeroed by the kernel) again at the next allocation of that size: the page faults were
// a quarter of such a run. Larger blocks (a long run's pilot columns and collected regions) are still mapped and
// returned: kept in the heap, their holes raised the peak of -n 1e9 (282 MB) to 313 MB at 32 MiB here, 293 MB at
// 4 MiB; at 1 MiB a 10⁵ run's statistics took 0.7 ms more.
//
// The heap's next 192 MiB are mapped now and marked for transparent huge pages (where the kernel offers them on
// request, /sys/kernel/mm/transparent_hugepage/enabled = madvise or always): the first touch of each 2 MiB then costs
// one fault, not 512. On a virtual machine whose faults cost 11 µs, one thread: a 10⁵-sample run's page faults fell
// from 2,190 to under 1,100 and its sampling pass from 15 to 8 ms; the main job's faults from 27,900 to 1,140 and its
// run from 1.41 to 0.74 s (peak 119 → 128 MB); -n 1e9 on two threads 275 → 276 MB. Untouched, the reserve is address
// space only; it stays below M_TRIM_THRESHOLD, so freeing never hands it back.
void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 2 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  constexpr std::size_t k_reserve = std::size_t{192} << 20, k_huge = std::size_t{2} << 20;
  mallopt(M_TOP_PAD, static_cast<int>(k_reserve));  // the next growth of the heap maps this much beyond its need
  void* grow = std::malloc(1 << 20);                 // (more than the heap holds before main: it grows)
  const auto from = (reinterpret_cast<std::uintptr_t>(grow) + k_huge - 1) & ~(k_huge - 1);
  const auto to = reinterpret_cast<std::uintptr_t>(sbrk(0)) & ~(k_huge - 1);
  // Only where the block came from the heap just grown (an allocator of a sanitizer, say, places it elsewhere).
  if (grow && to > from && to - from <= k_reserve + k_huge)
    (void)madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
  std::free(grow);  // the reserve stays in the heap (below M_TRIM_THRESHOLD)
  mallopt(M_TOP_PAD, 128 << 10);  // glibc's default again
#endif
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();
  std::unique_ptr<Ranks> ranks;
  try {
    ranks = start_ranks(argc, argv);  // before the arguments are read: MPI may take some of its own
  } catch (const Error& e) {
    std::cerr << "tamcarlo: error: " << terminal_safe(e.what()) << '\n';
    return static_cast<int>(e.exit_code());
  }
  const int code = run_main(argc, argv, ranks.get());
  if (code != 0) abort_ranks(ranks.get(), code);  // one rank failing ends them all, with its exit status
  return code;
}
