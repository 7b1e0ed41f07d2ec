// MPI for `mpirun -np K tamcarlo run ...` (Open MPI): the Ranks of distributed.hpp over MPI_COMM_WORLD, through the
// MPI plugin (mpi_plugin.hpp) loaded only when a launcher started the process as one of several ranks. A build
// without MPI refuses to run as one of several ranks.
#pragma once
#include "sim/run/distributed.hpp"

#include <memory>

namespace tamcarlo {

/// True when a launcher (mpirun, srun) started this process, alone or as one of several ranks (its environment).
[[nodiscard]] bool started_by_launcher() noexcept;

/// The ranks this process belongs to when a launcher (mpirun, srun) started it as one of several and
/// tamcarlo was built with MPI; null when it runs alone (MPI is then never initialized). Throws UsageError
/// when started as one of several ranks by a tamcarlo built without MPI.
[[nodiscard]] std::unique_ptr<Ranks> start_ranks(int& argc, char**& argv);

/// Ends every rank with exit status `code` (MPI_Abort) when `ranks` has more than one; otherwise nothing.
void abort_ranks(Ranks* ranks, int code);

}  // namespace tamcarlo
