#include "sim/io/target.hpp"

#include "sim/error.hpp"
#include "sim/io/number_format.hpp"
#include "sim/io/text.hpp"

#include <fmt/format.h>
#include <hdf5.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>

#include <array>
#include <filesystem>
#include <fstream>

namespace tamcarlo {

namespace fs = std::filesystem;

namespace {

// The kind of a non-regular file, for messages ("a FIFO").
std::string kind_of(fs::file_type t) {
  switch (t) {
    case fs::file_type::directory: return "a directory";
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::symlink: return "a symbolic link";
    default: return "not a regular file";
  }
}

// Follows `p` through symbolic links (at most 40, as the kernel) to the path they finally name.
fs::path follow_links(const fs::path& requested) {
  fs::path p = requested;
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) return p;
    const fs::path to = fs::read_symlink(p, ec);
    if (ec) throw UsageError(fmt::format("-o {}: cannot read the symbolic link {}: {}", requested.string(), p.string(), ec.message()));
    p = to.is_absolute() ? to : p.parent_path() / to;
  }
  throw UsageError(fmt::format("-o {}: too many levels of symbolic links (a loop?)", requested.string()));
}

bool hdf5_result(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(path.c_str()) <= 0) return false;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return false;
  const bool ours = H5Aexists(f, "tamcarlo_version") > 0;
  H5Fclose(f);
  return ours;
}

bool csv_result(const std::string& path) {
  static constexpr std::array<std::string_view, 2> k_headers = {"variable,year,kind,unit,", "rank,cell,section,title,"};
  std::ifstream f(path, std::ios::binary);
  std::string line;
  if (!std::getline(f, line)) return false;
  for (const auto h : k_headers)
    if (line.starts_with(h)) return true;
  return false;
}

// Throws UsageError unless `target` may be replaced by a result (see checked_result_target).
void check_replaceable(const fs::path& target, const std::string& requested, const std::vector<std::string>& inputs,
                       bool force) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(target, ec);
  if (ec || !fs::exists(st)) return;  // nothing there: a new file
  const std::string shown = target.string() == requested ? requested : fmt::format("{} (from -o {})", target.string(), requested);
  if (!fs::is_regular_file(st))
    throw UsageError(fmt::format("{} is {}; tamcarlo writes results only to new files or to regular files it wrote "
                                 "before, so it leaves this alone; give -o a file path",
                                 shown, kind_of(st.type())));
  for (const auto& in : inputs)
    if (fs::equivalent(target, in, ec))
      throw UsageError(fmt::format("{} is the scenario file {} this run reads; give -o another path", shown, in));
  if (!force && !written_by_tamcarlo(target.string()))
    throw UsageError(fmt::format("{} exists and is not a tamcarlo result; give -o another path, or pass --force to "
                                 "replace it",
                                 shown));
}

}  // namespace

void check_disk_space(const std::string& target, double bytes) {
  std::error_code ec;
  fs::path dir = fs::path(target).parent_path();
  if (dir.empty()) dir = ".";
  const fs::space_info space = fs::space(dir, ec);
  if (ec) return;  // unknown: the write itself reports a full disk
  const double free = static_cast<double>(space.available);
  if (bytes > free)
    throw RunError(fmt::format("the stored samples need {}B at {}, but only {}B is free there; use fewer samples, "
                               "`--store report` or `--store none`",
                               format_number(bytes), dir.string(), format_number(free)));
}

CommitLock::CommitLock(const std::string& target) {
  fs::path dir = fs::path(target).parent_path();
  if (dir.empty()) dir = ".";
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ >= 0) (void)::flock(fd_, LOCK_EX);  // without a lock (a file system without flock) commits still work
}

CommitLock::~CommitLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

std::string commit_journal(const std::string& target) { return target + ".commit"; }

namespace {

// "<name>.tmp-<digits>" for `name`: the temporaries tamcarlo writes.
bool is_temporary_of(const std::string& temp, const std::string& name) {
  const std::string prefix = name + ".tmp-";
  if (!temp.starts_with(prefix) || temp.size() == prefix.size() || temp.size() > prefix.size() + 9) return false;
  return std::all_of(temp.begin() + static_cast<std::ptrdiff_t>(prefix.size()), temp.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

fs::path directory_of(const std::string& target) {
  const fs::path dir = fs::path(target).parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// Makes completed renames in `dir` durable (the directory entry itself).
void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

namespace {

// True unless `pid` names no process (a process we may not signal exists too).
bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// True when `pid` has exited but is not yet reaped (state Z in /proc): its temporaries are abandoned.
bool is_zombie(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return false;
  const std::size_t close = line.rfind(')');  // the command name may hold spaces and parentheses
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

}  // namespace

void commit_together(const std::vector<std::pair<std::string, std::string>>& temp_to_target) {
  if (temp_to_target.empty()) return;
  const fs::path dir = directory_of(temp_to_target.front().second);
  const std::string journal = commit_journal(temp_to_target.front().second);
  const std::string journal_temp = fmt::format("{}.tmp-{}", journal, ::getpid());
  std::string text;
  for (const auto& [temp, target] : temp_to_target) {
    if (directory_of(target) != dir || directory_of(temp) != dir ||
        !is_temporary_of(fs::path(temp).filename().string(), fs::path(target).filename().string()))
      throw RunError(fmt::format("internal: cannot commit {} to {} as one unit", temp, target));
    text += fs::path(temp).filename().string() + '\0' + fs::path(target).filename().string() + '\0';
  }
  {
    const int fd = ::open(journal_temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                    ::fsync(fd) == 0;
    const int err = errno;
    if (fd >= 0) ::close(fd);
    if (!ok) {
      std::remove(journal_temp.c_str());
      throw RunError(fmt::format("cannot write {}: {}; nothing was written there", journal, std::strerror(err)));
    }
  }
  std::error_code ec;
  fs::rename(journal_temp, journal, ec);
  if (ec) {
    std::remove(journal_temp.c_str());
    throw RunError(fmt::format("cannot rename {} to {}: {}", journal_temp, journal, ec.message()));
  }
  // From here the commit is decided: a failure leaves the journal for the next run to finish.
  for (const auto& [temp, target] : temp_to_target) {
    fs::rename(temp, target, ec);
    if (ec)
      throw RunError(fmt::format("cannot rename {} to {}: {}; the next run to {} finishes this commit", temp, target,
                                 ec.message(), temp_to_target.front().second));
  }
  sync_directory(dir);
  fs::remove(journal, ec);
}

bool finish_interrupted_commit(const std::string& target) {
  const std::string journal = commit_journal(target);
  std::ifstream in(journal, std::ios::binary);
  if (!in) return false;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const fs::path dir = directory_of(target);
  const std::string own = fs::path(target).filename().string();
  // Pairs (temporary, target): the first names `target`, the rest its CSV; anything else is not ours to act on.
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t a = text.find('\0', at);
    const std::size_t b = a == std::string::npos ? a : text.find('\0', a + 1);
    if (b == std::string::npos) return false;
    pairs.emplace_back(text.substr(at, a - at), text.substr(a + 1, b - a - 1));
    at = b + 1;
  }
  if (pairs.empty() || pairs.front().second != own) return false;
  for (const auto& [temp, name] : pairs) {
    const bool known_target = name == own || name == fs::path(csv_beside(target)).filename().string();
    if (!known_target || !is_temporary_of(temp, name)) return false;
  }
  std::error_code ec;
  for (const auto& [temp, name] : pairs)
    if (fs::exists(fs::symlink_status(dir / temp, ec))) {
      fs::rename(dir / temp, dir / name, ec);
      if (ec)
        throw RunError(fmt::format("cannot finish the interrupted commit to {} ({}): {}", target, journal, ec.message()));
    }
  sync_directory(dir);
  fs::remove(journal, ec);
  return true;
}

std::size_t remove_abandoned_temporaries(const std::string& target) {
  const CommitLock lock(target);  // no other run is between its renames now
  (void)finish_interrupted_commit(target);
  const fs::path dir = directory_of(target);
  const std::string name = fs::path(target).filename().string();
  const std::string journal = fs::path(commit_journal(target)).filename().string();
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string file = e.path().filename().string();
    if (!(is_temporary_of(file, name) || is_temporary_of(file, journal)) || !e.is_regular_file(ec)) continue;
    const auto pid = static_cast<pid_t>(std::stol(file.substr(file.rfind('-') + 1)));
    if (pid == ::getpid() || (process_exists(pid) && !is_zombie(pid))) continue;  // alive, or not ours to judge
    if (fs::remove(e.path(), ec)) ++removed;
  }
  return removed;
}

std::string csv_beside(const std::string& target) { return fs::path(target).replace_extension(".csv").string(); }

bool written_by_tamcarlo(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(path, ec))) return false;
  return fs::path(path).extension() == ".csv" ? csv_result(path) : hdf5_result(path);
}

std::string checked_result_target(const std::string& requested, const std::vector<std::string>& inputs, bool force) {
  if (fs::path(requested).extension() == ".csv")
    throw UsageError(fmt::format("-o {}: the result file is HDF5 (e.g. -o {}); its CSV summary is written beside it",
                                 requested, fs::path(requested).replace_extension(".h5").string()));
  const fs::path target = follow_links(requested);
  if (target.extension() == ".csv")
    throw UsageError(fmt::format("-o {}: names the CSV file {}; the result file is HDF5, its CSV summary is written "
                                 "beside it",
                                 requested, target.string()));
  check_replaceable(target, requested, inputs, force);
  check_replaceable(csv_beside(target.string()), csv_beside(requested), inputs, force);
  return target.string();
}

}  // namespace tamcarlo
