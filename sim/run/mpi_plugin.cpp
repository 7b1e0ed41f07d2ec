// tamcarlo-mpi.so: MPI_COMM_WORLD behind the C table of mpi_plugin.hpp (Open MPI, the C API).
#include "sim/run/mpi_plugin.hpp"

#define OMPI_SKIP_MPICXX 1  // the C API only (the deprecated C++ bindings need their own library)
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

namespace {

void init(int* argc, char*** argv, unsigned* rank, unsigned* size) {
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);  // only the main thread calls MPI
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  int r = 0, k = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  MPI_Comm_size(MPI_COMM_WORLD, &k);
  *rank = static_cast<unsigned>(r);
  *size = static_cast<unsigned>(k);
}

void all_gather_int(int mine, int* all) { MPI_Allgather(&mine, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD); }

void all_gather_bytes(const char* mine, int n, char* all, const int* sizes, const int* offsets) {
  MPI_Allgatherv(mine, n, MPI_BYTE, all, sizes, offsets, MPI_BYTE, MPI_COMM_WORLD);
}

void barrier() { MPI_Barrier(MPI_COMM_WORLD); }
void abort_all(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
void finalize() { MPI_Finalize(); }

constexpr TamcarloMpi k_table{k_mpi_plugin_version, init, all_gather_int, all_gather_bytes, barrier, abort_all, finalize};

}  // namespace

extern "C" __attribute__((visibility("default"))) const TamcarloMpi* tamcarlo_mpi_plugin() { return &k_table; }
