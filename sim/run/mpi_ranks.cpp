#include "sim/run/mpi_ranks.hpp"

#include "sim/base/error.hpp"
#include "sim/run/mpi_plugin.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace tamcarlo {

namespace {

// Ranks the launcher started, from its environment (Open MPI, PMI, PMIx); 1 when none.
long launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* v = std::getenv(name)) return std::strtol(v, nullptr, 10);
  return std::getenv("PMIX_RANK") ? 2 : 1;  // PMIx without a size: assume several
}

#if defined(TAMCARLO_MPI)
// The plugin's table, loaded from beside the program (a build tree), else from <prefix>/lib/tamcarlo (installed).
// RTLD_GLOBAL: Open MPI's own components, which it loads in turn, look up its symbols. Throws UsageError naming
// where it looked and why it failed.
const TamcarloMpi& load_plugin(long launched) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> tried;
  if (!ec) tried = {self.parent_path() / k_mpi_plugin_name,
                    (self.parent_path() / TAMCARLO_MPI_FROM_BIN / k_mpi_plugin_name).lexically_normal()};
  std::string why = ec ? "cannot read /proc/self/exe to find it" : "";
  for (const fs::path& path : tried) {
    if (!fs::exists(path, ec)) continue;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
      why = ::dlerror();
      break;
    }
    using Entry = const TamcarloMpi* (*)();
    const auto entry = reinterpret_cast<Entry>(::dlsym(handle, "tamcarlo_mpi_plugin"));
    const TamcarloMpi* table = entry ? entry() : nullptr;
    if (table && table->version == k_mpi_plugin_version) return *table;  // loaded for the process's life
    why = fmt::format("{} is not this tamcarlo's MPI plugin (version {}, this program's {})", path.string(),
                      table ? table->version : -1, k_mpi_plugin_version);
    break;
  }
  if (why.empty()) {
    why = "it is in none of";
    for (const fs::path& path : tried) why += " " + path.string();
  }
  throw UsageError(fmt::format("started as one of {} MPI ranks, but tamcarlo's MPI plugin ({}) cannot be loaded: {}; "
                               "reinstall tamcarlo with it (cmake --install), or, without mpirun, use --shard i/K and "
                               "`tamcarlo merge`",
                               launched, k_mpi_plugin_name, why));
}

class MpiRanks final : public Ranks {
 public:
  MpiRanks(const TamcarloMpi& mpi, int& argc, char**& argv) : mpi_(mpi) { mpi_.init(&argc, &argv, &rank_, &size_); }
  ~MpiRanks() override { mpi_.finalize(); }
  MpiRanks(const MpiRanks&) = delete;
  MpiRanks& operator=(const MpiRanks&) = delete;

  [[nodiscard]] unsigned rank() const override { return rank_; }
  [[nodiscard]] unsigned size() const override { return size_; }

  [[nodiscard]] std::vector<std::string> all_gather(const std::string& mine) override {
    if (mine.size() > static_cast<std::size_t>(INT_MAX))
      throw RunError(fmt::format("a pass state of {} bytes is too large to send between MPI ranks", mine.size()));
    const int n = static_cast<int>(mine.size());
    std::vector<int> sizes(size_), offsets(size_);
    mpi_.all_gather_int(n, sizes.data());
    long long total = 0;
    for (unsigned r = 0; r < size_; ++r) {
      if (total > INT_MAX) throw RunError("the ranks' pass states are too large to gather (over 2 GiB)");
      offsets[r] = static_cast<int>(total);
      total += sizes[r];
    }
    if (total > INT_MAX) throw RunError("the ranks' pass states are too large to gather (over 2 GiB)");
    std::string all(static_cast<std::size_t>(total), '\0');
    mpi_.all_gather_bytes(mine.data(), n, all.data(), sizes.data(), offsets.data());
    std::vector<std::string> out;
    for (unsigned r = 0; r < size_; ++r) out.push_back(all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(sizes[r])));
    return out;
  }

  void barrier() override { mpi_.barrier(); }

  void abort(int code) { mpi_.abort(code); }

 private:
  const TamcarloMpi& mpi_;
  unsigned rank_ = 0, size_ = 1;
};
#endif

}  // namespace

bool started_by_launcher() noexcept {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "PMIX_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

std::unique_ptr<Ranks> start_ranks(int& argc, char**& argv) {
  const long launched = launched_ranks();
#if defined(TAMCARLO_MPI)
  if (launched <= 1) return nullptr;
  return std::make_unique<MpiRanks>(load_plugin(launched), argc, argv);
#else
  (void)argc;
  (void)argv;
  if (launched > 1)
    throw UsageError(fmt::format("started as one of {} MPI ranks, but this tamcarlo was built without MPI (install "
                                 "libopenmpi-dev and rebuild); without mpirun, use --shard i/K and `tamcarlo merge`",
                                 launched));
  return nullptr;
#endif
}

void abort_ranks(Ranks* ranks, int code) {
#if defined(TAMCARLO_MPI)
  if (ranks && ranks->size() > 1) static_cast<MpiRanks*>(ranks)->abort(code);
#else
  (void)ranks;
  (void)code;
#endif
}

}  // namespace tamcarlo
