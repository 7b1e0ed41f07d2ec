#include "sim/run/mpi_ranks.hpp"

#include "sim/base/error.hpp"

#include <fmt/format.h>

#include <climits>
#include <cstdlib>
#include <string>

#if defined(TAMCARLO_MPI)
#define OMPI_SKIP_MPICXX 1  // the C API only (the deprecated C++ bindings need their own library)
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace tamcarlo {

namespace {

// Ranks the launcher started, from its environment (Open MPI, PMI, PMIx); 1 when none.
long launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* v = std::getenv(name)) return std::strtol(v, nullptr, 10);
  return std::getenv("PMIX_RANK") ? 2 : 1;  // PMIx without a size: assume several
}

#if defined(TAMCARLO_MPI)
class MpiRanks final : public Ranks {
 public:
  MpiRanks(int& argc, char**& argv) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);  // only the main thread calls MPI
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    int r = 0, k = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &k);
    rank_ = static_cast<unsigned>(r);
    size_ = static_cast<unsigned>(k);
  }
  ~MpiRanks() override { MPI_Finalize(); }
  MpiRanks(const MpiRanks&) = delete;
  MpiRanks& operator=(const MpiRanks&) = delete;

  [[nodiscard]] unsigned rank() const override { return rank_; }
  [[nodiscard]] unsigned size() const override { return size_; }

  [[nodiscard]] std::vector<std::string> all_gather(const std::string& mine) override {
    if (mine.size() > static_cast<std::size_t>(INT_MAX))
      throw RunError(fmt::format("a pass state of {} bytes is too large to send between MPI ranks", mine.size()));
    const int n = static_cast<int>(mine.size());
    std::vector<int> sizes(size_), offsets(size_);
    MPI_Allgather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, MPI_COMM_WORLD);
    long long total = 0;
    for (unsigned r = 0; r < size_; ++r) {
      if (total > INT_MAX) throw RunError("the ranks' pass states are too large to gather (over 2 GiB)");
      offsets[r] = static_cast<int>(total);
      total += sizes[r];
    }
    if (total > INT_MAX) throw RunError("the ranks' pass states are too large to gather (over 2 GiB)");
    std::string all(static_cast<std::size_t>(total), '\0');
    MPI_Allgatherv(mine.data(), n, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, MPI_COMM_WORLD);
    std::vector<std::string> out;
    for (unsigned r = 0; r < size_; ++r) out.push_back(all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(sizes[r])));
    return out;
  }

  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }

  void abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

 private:
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
  return std::make_unique<MpiRanks>(argc, argv);
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
