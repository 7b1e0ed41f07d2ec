// tamcarlo._core: the Python module's one door into the engine. It runs a job exactly as `tamcarlo run` does
// (run_for_library: the same checks, options and bits) with the GIL released, stops it cleanly on Ctrl-C, and turns
// every tamcarlo error into _core.Failure carrying its kind, exit code and location. Everything else (reading the
// result, pandas, xarray) is Python reading the HDF5 file.
#include "sim/base/error.hpp"
#include "sim/cmd/cli.hpp"
#include "sim/cmd/commands.hpp"
#include "sim/run/options.hpp"

#include <fmt/format.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <filesystem>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace py = pybind11;
using namespace tamcarlo;

namespace {

// The command line's run options from the module's keywords (tamcarlo/__init__.py checks their types).
RunArgs run_args(const std::string& file, const py::dict& o) {
  RunArgs a;
  a.files = {file};
  a.checkpoint = 0;  // a library run keeps no checkpoint file behind
  if (!o["samples"].is_none()) {
    a.samples = o["samples"].cast<std::uint64_t>();
    a.has_samples = true;
  }
  if (!o["seed"].is_none()) {
    a.seed = o["seed"].cast<std::uint64_t>();
    a.has_seed = true;
  }
  a.threads = o["threads"].cast<unsigned>();
  if (!o["store"].is_none()) {
    a.store_text = o["store"].cast<std::string>();
    if (a.store_text != "all" && a.store_text != "report" && a.store_text != "none")
      throw UsageError(fmt::format("store = \"{}\": one of \"all\", \"report\", \"none\"", a.store_text));
    a.store = store_named(a.store_text);
    a.has_store = true;
  }
  a.output = o["output"].cast<std::string>();
  a.has_output = true;
  a.force = o["force"].cast<bool>();
  a.sobol = o["sobol"].cast<bool>();
  a.strict = o["strict"].cast<bool>();
  a.stress = o["stress"].cast<std::vector<std::string>>();
  a.set = o["set"].cast<std::vector<std::string>>();
  a.precision = o["precision"].cast<std::string>();
  return a;
}

// Raises _core.Failure(kind, message, exit_code, file, line, column, key, explanation) for a tamcarlo error.
[[noreturn]] void raise_failure(PyObject* failure, const std::exception_ptr& error) {
  py::tuple args;
  const auto make = [](const char* kind, const std::string& what, int code, const std::string& file = "",
                       std::uint32_t line = 0, std::uint32_t column = 0, const std::string& key = "",
                       const std::string& explanation = "") {
    return py::make_tuple(kind, what, code, file, line, column, key, explanation.empty() ? what : explanation);
  };
  try {
    std::rethrow_exception(error);
  } catch (const ScenarioError& e) {
    args = make("scenario", e.what(), static_cast<int>(e.exit_code()), e.where().file, e.where().line,
                e.where().column, e.key(), e.message());
  } catch (const UsageError& e) {
    args = make("usage", e.what(), static_cast<int>(e.exit_code()));
  } catch (const CheckFailed& e) {
    args = make("check", e.what(), static_cast<int>(e.exit_code()));
  } catch (const Interrupted& e) {
    args = make("interrupted", e.what(), static_cast<int>(e.exit_code()));
  } catch (const Error& e) {
    args = make("run", e.what(), static_cast<int>(e.exit_code()));
  } catch (const std::filesystem::filesystem_error& e) {
    args = make("run", e.what(), static_cast<int>(ExitCode::run_failure));
  } catch (const std::bad_alloc&) {
    args = make("run", "out of memory; use fewer samples or store=\"report\" or \"none\"",
                static_cast<int>(ExitCode::run_failure));
  } catch (const std::exception& e) {
    args = make("internal", std::string("internal error: ") + e.what() + " (please report it with the scenario)",
                static_cast<int>(ExitCode::run_failure));
  }
  PyErr_SetObject(failure, args.ptr());
  throw py::error_already_set();
}

// Runs the job on a worker thread with the GIL released; the calling thread wakes every 50 ms to let Python handle
// its signals: a KeyboardInterrupt (or any exception a signal handler raises) cancels the run, which stops between
// blocks and removes what it had begun to write, and then propagates.
// What the engine's threads report, read by the calling thread: the latest (done, total) and phase.
struct Progress {
  std::mutex m;
  std::uint64_t done = 0, total = 0;
  std::string phase;
  bool changed = false;
};

py::dict run(PyObject* failure, const std::string& file, const std::optional<std::string>& text,
             const py::dict& options, const py::object& on_progress) {
  const RunArgs a = run_args(file, options);
  std::atomic<bool> cancel{false};
  LibraryRun result;
  std::exception_ptr error;
  bool done = false, signalled = false;
  std::mutex m;
  std::condition_variable finished;
  Progress seen;
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  std::function<void(std::string_view)> phase;
  if (!on_progress.is_none()) {  // Python is called only from this thread, with the GIL, never from the engine's
    progress = [&seen](std::uint64_t d, std::uint64_t t) {
      const std::lock_guard<std::mutex> lock(seen.m);
      seen.done = d;
      seen.total = t;
      seen.changed = true;
    };
    phase = [&seen](std::string_view name) {
      const std::lock_guard<std::mutex> lock(seen.m);
      seen.phase = std::string(name);
      seen.done = seen.total = 0;
      seen.changed = true;
    };
  }
  // Calls on_progress(done, total, phase) when something changed; false when it raised (the error is set).
  const auto report = [&]() -> bool {
    std::uint64_t d = 0, t = 0;
    std::string name;
    {
      const std::lock_guard<std::mutex> lock(seen.m);
      if (!seen.changed) return true;
      d = seen.done;
      t = seen.total;
      name = seen.phase;
      seen.changed = false;
    }
    try {
      on_progress(d, t, name);
    } catch (py::error_already_set& e) {
      e.restore();
      return false;
    }
    return true;
  };
  {
    py::gil_scoped_release release;
    std::thread worker([&] {
      try {
        result = run_for_library(a, text ? &*text : nullptr, cancel, progress, phase);
      } catch (...) {
        error = std::current_exception();
      }
      const std::lock_guard<std::mutex> lock(m);
      done = true;
      finished.notify_one();
    });
    for (;;) {
      std::unique_lock<std::mutex> lock(m);
      if (finished.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; })) break;
      lock.unlock();
      if (signalled) continue;
      const py::gil_scoped_acquire acquire;
      // A signal's exception (KeyboardInterrupt) or the progress callback's stays set on this thread until it is
      // raised below; the run is cancelled and removes what it had begun to write.
      if (PyErr_CheckSignals() != 0 || (progress && !report())) {
        signalled = true;
        cancel.store(true);
      }
    }
    worker.join();
  }
  if (!signalled && progress) {
    if (!report()) throw py::error_already_set();  // the last state (done == total)
  }
  if (signalled) throw py::error_already_set();
  if (error) raise_failure(failure, error);
  py::dict out;
  out["output"] = result.output;
  out["warnings"] = result.warnings;
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "tamcarlo's engine: runs a scenario or suite as `tamcarlo run` does (use the tamcarlo package)";
  m.attr("version") = TAMCARLO_VERSION;
  // The exception type lives as long as the interpreter (a module's types are never freed): a plain reference.
  PyObject* failure = PyErr_NewException("tamcarlo._core.Failure", PyExc_RuntimeError, nullptr);
  if (failure == nullptr) throw py::error_already_set();
  m.attr("Failure") = py::reinterpret_borrow<py::object>(failure);
  m.def(
      "run",
      [failure](const std::string& file, const std::optional<std::string>& text, const py::dict& options,
                const py::object& progress) { return run(failure, file, text, options, progress); },
      py::arg("file"), py::arg("text"), py::arg("options"), py::arg("progress") = py::none(),
      "Runs `file` (or `text`, named `file` in messages) with `options`; returns {output, warnings}. `progress`, if "
      "given, is called as progress(done, total, phase) from this thread about every 50 ms while something changed; "
      "an exception it raises cancels the run and propagates. Raises Failure(kind, message, exit_code, file, line, "
      "column, key, explanation).");
}
