#include "sim/io/commit.hpp"

#include "sim/base/error.hpp"
#include "sim/io/output_path.hpp"
#include "sim/io/unique_fd.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

namespace tamcarlo {

namespace fs = std::filesystem;

AtomicTarget::AtomicTarget(std::string target, bool companion)
    : target_(std::move(target)), temp_(fmt::format("{}.tmp-{}", target_, ::getpid())) {
  if (!companion) remove_abandoned_temporaries(target_);  // a killed run's leftovers (SIGKILL leaves them)
}

AtomicTarget::~AtomicTarget() {
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicTarget::commit() { commit_together({this}); }

void AtomicTarget::commit_together(std::initializer_list<AtomicTarget*> targets) {
  std::vector<std::pair<std::string, std::string>> renames;
  for (const AtomicTarget* t : targets) {
    std::error_code ec;
    // Checked before the run too; checked again here since the path may have changed meanwhile.
    const auto st = std::filesystem::symlink_status(t->target_, ec);
    if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
      throw RunError(fmt::format("{} is no longer a regular file; the result was not written there", t->target_));
    renames.emplace_back(t->temp_, t->target_);
  }
  tamcarlo::commit_together(renames);
  for (AtomicTarget* t : targets) t->committed_ = true;
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
std::string checkpoint_path(const std::string& output) { return output + ".checkpoint"; }
std::string rank_part_path(const std::string& output, unsigned rank) { return fmt::format("{}.rank-{}", output, rank); }

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

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
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) (void)::fsync(fd.get());
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
    // Every temporary and the journal on the disk before the first rename. Their write-back is started for all,
    // then waited for file by file: the waits overlap (about 0.1 ms less than syncing one after another).
    std::vector<std::pair<UniqueFd, std::string>> files;  // each file and the name its error gives
    for (const auto& [temp, target] : temp_to_target) {
      files.emplace_back(UniqueFd(::open(temp.c_str(), O_RDONLY | O_CLOEXEC)), target);
      if (files.back().first.get() < 0)
        throw RunError(fmt::format("cannot write {}: {}; nothing was written there", target, std::strerror(errno)));
      (void)::sync_file_range(files.back().first.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    }
    files.emplace_back(UniqueFd(::open(journal_temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)), journal);
    const int jfd = files.back().first.get();
    if (jfd < 0 || ::write(jfd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      const int err = errno;
      std::remove(journal_temp.c_str());
      throw RunError(fmt::format("cannot write {}: {}; nothing was written there", journal, std::strerror(err)));
    }
    (void)::sync_file_range(jfd, 0, 0, SYNC_FILE_RANGE_WRITE);
    for (const auto& [fd, name] : files)
      if (::fsync(fd.get()) != 0) {
        const int err = errno;
        std::remove(journal_temp.c_str());
        throw RunError(fmt::format("cannot write {}: {}; nothing was written there", name, std::strerror(err)));
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

namespace {

// True when `file` is a temporary of the result `name` or of a file beside it: its CSV, its journal, its checkpoint
// (and that one's journal) or an MPI rank's rows ("<name>.rank-<k>").
bool is_companion_temporary(const std::string& file, const std::string& name, const std::string& csv) {
  for (const std::string& of : {name, csv, commit_journal(name), checkpoint_path(name), commit_journal(checkpoint_path(name))})
    if (is_temporary_of(file, of)) return true;
  const std::string rank = name + ".rank-";
  if (!file.starts_with(rank)) return false;
  const std::size_t tmp = file.find(".tmp-", rank.size());
  return tmp != std::string::npos && all_digits(std::string_view(file).substr(rank.size(), tmp - rank.size())) &&
         is_temporary_of(file, file.substr(0, tmp));
}

}  // namespace

std::size_t remove_abandoned_temporaries(const std::string& target) {
  const CommitLock lock(target);  // no other run is between its renames now
  (void)finish_interrupted_commit(target);
  (void)finish_interrupted_commit(checkpoint_path(target));
  const fs::path dir = directory_of(target);
  const std::string name = fs::path(target).filename().string();
  const std::string csv = fs::path(csv_beside(target)).filename().string();
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string file = e.path().filename().string();
    if (!is_companion_temporary(file, name, csv) || !e.is_regular_file(ec)) continue;
    const auto pid = static_cast<pid_t>(std::stol(file.substr(file.rfind('-') + 1)));
    if (pid == ::getpid() || (process_exists(pid) && !is_zombie(pid))) continue;  // alive, or not ours to judge
    if (fs::remove(e.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace tamcarlo
