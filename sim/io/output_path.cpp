#include "sim/io/output_path.hpp"

#include "sim/base/error.hpp"
#include "sim/base/number_format.hpp"
#include "sim/base/text.hpp"
#include "sim/io/h5.hpp"

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

// What an existing file is to tamcarlo when read as HDF5: not its file, a result, or a shard's part (its root says
// kind = "part", which merge reads). One open (each HDF5 open builds a metadata cache: about half a millisecond).
enum class Hdf5Kind { foreign, result, part };
Hdf5Kind hdf5_kind(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(path.c_str()) <= 0) return Hdf5Kind::foreign;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return Hdf5Kind::foreign;
  Hdf5Kind kind = Hdf5Kind::foreign;
  if (H5Aexists(f, "tamcarlo_version") > 0) {
    kind = Hdf5Kind::result;
    try {
      if (h5::has_attr(f, "kind") && h5::read_string_attr(f, "kind") == "part") kind = Hdf5Kind::part;
    } catch (const std::exception&) {
      // an unreadable attribute: not a part we can name
    }
  }
  H5Fclose(f);
  return kind;
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
                       bool force, bool part) {
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
  if (force) return;
  const bool csv = target.extension() == ".csv";
  const Hdf5Kind kind = csv ? Hdf5Kind::foreign : hdf5_kind(target.string());
  if (csv ? !csv_result(target.string()) : kind == Hdf5Kind::foreign)
    throw UsageError(fmt::format("{} exists and is not a tamcarlo result; give -o another path, or pass --force to "
                                 "replace it",
                                 shown));
  if (!csv && (kind == Hdf5Kind::part) != part)
    throw UsageError(part ? fmt::format("{} is a run's result, not a shard's part; give -o another path, or pass "
                                        "--force to replace it",
                                        shown)
                          : fmt::format("{} is a shard's part (merge reads it); a result does not replace it: give -o "
                                        "another path, or pass --force to replace it",
                                        shown));
}

// Throws UsageError when the file names tamcarlo makes from `target` (its checkpoint's temporary is the longest:
// "<name>.checkpoint.tmp-<pid>") would exceed what the file system allows in a name (NAME_MAX, usually 255 bytes).
void check_name_length(const fs::path& target, const std::string& requested) {
  const std::size_t added = std::string_view(".checkpoint.commit.tmp-4194304").size();
  fs::path dir = target.parent_path();
  std::error_code ec;
  while (!dir.empty() && !fs::exists(dir, ec)) dir = dir.parent_path();  // a directory -o will make: its parent
  const long limit = ::pathconf(dir.empty() ? "." : dir.c_str(), _PC_NAME_MAX);
  const std::size_t name_max = limit > 0 ? static_cast<std::size_t>(limit) : 255;
  for (const auto& part : target)
    if (part.string().size() > name_max)
      throw UsageError(fmt::format("-o {}: the name {}… is {} bytes long; this file system allows {} bytes in a name",
                                   requested, part.string().substr(0, 40), part.string().size(), name_max));
  const std::size_t name = target.filename().string().size();
  if (name + added > name_max)
    throw UsageError(fmt::format("-o {}: the file name is {} bytes long; this file system allows {} bytes in a name "
                                 "and tamcarlo adds up to {} for the files it keeps beside a result ({}): use a name "
                                 "of at most {} bytes",
                                 requested, name, name_max, added, "`.checkpoint.commit.tmp-<pid>`", name_max - added));
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
    throw RunError(fmt::format("the stored samples need {} at {}, but only {} is free there; use fewer samples, "
                               "`--store report` or `--store none`",
                               byte_size(bytes), dir.string(), byte_size(free)));
}

std::string csv_beside(const std::string& target) { return fs::path(target).replace_extension(".csv").string(); }

bool written_by_tamcarlo(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(path, ec))) return false;
  return fs::path(path).extension() == ".csv" ? csv_result(path) : hdf5_kind(path) != Hdf5Kind::foreign;
}

std::string checked_result_target(const std::string& requested, const std::vector<std::string>& inputs, bool force,
                                  bool part) {
  if (fs::path(requested).extension() == ".csv")
    throw UsageError(fmt::format("-o {}: the result file is HDF5 (e.g. -o {}); its CSV summary is written beside it",
                                 requested, fs::path(requested).replace_extension(".h5").string()));
  const fs::path target = follow_links(requested);
  if (target.extension() == ".csv")
    throw UsageError(fmt::format("-o {}: names the CSV file {}; the result file is HDF5, its CSV summary is written "
                                 "beside it",
                                 requested, target.string()));
  check_name_length(target, requested);
  check_replaceable(target, requested, inputs, force, part);
  check_replaceable(csv_beside(target.string()), csv_beside(requested), inputs, force, part);
  return target.string();
}

}  // namespace tamcarlo
