// The C interface between the tamcarlo program and its MPI plugin, tamcarlo-mpi.so, which alone links Open MPI: a
// process no launcher started never loads MPI (its eight libraries took 2.4 ms of every start), and the program
// starts where Open MPI is not installed. Plain C types only: no exception or C++ object crosses it.
#pragma once

extern "C" {

/// MPI_COMM_WORLD's calls the program makes, each as MPI makes it (errors are fatal: MPI_ERRORS_ARE_FATAL).
struct TamcarloMpi {
  int version;  ///< k_mpi_plugin_version of the plugin's build
  /// MPI_Init_thread (MPI_THREAD_FUNNELED: only the main thread calls MPI), then this process's rank and the ranks.
  void (*init)(int* argc, char*** argv, unsigned* rank, unsigned* size);
  /// MPI_Allgather of one int a rank into all[0 … size − 1].
  void (*all_gather_int)(int mine, int* all);
  /// MPI_Allgatherv of n bytes a rank into `all`: rank r's sizes[r] bytes at offsets[r].
  void (*all_gather_bytes)(const char* mine, int n, char* all, const int* sizes, const int* offsets);
  /// MPI_Barrier.
  void (*barrier)();
  /// MPI_Abort with exit status `code`: ends every rank.
  void (*abort)(int code);
  /// MPI_Finalize.
  void (*finalize)();
};

/// The plugin's table: the one symbol the program looks up (dlsym "tamcarlo_mpi_plugin").
const TamcarloMpi* tamcarlo_mpi_plugin();

}  // extern "C"

/// Bumped when TamcarloMpi changes: the program refuses a plugin of another version.
inline constexpr int k_mpi_plugin_version = 1;

/// The plugin's file name, beside the program in a build tree and in <prefix>/lib/tamcarlo once installed.
inline constexpr const char* k_mpi_plugin_name = "tamcarlo-mpi.so";
