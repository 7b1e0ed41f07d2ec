// Integrity of the files tamcarlo writes and reads back (results, shards' parts, checkpoints): each HDF5 file
// starts with a 512-byte HDF5 user block holding the SHA-256 of every byte after it, written once the file is
// complete and checked before the file is merged, resumed or reported. HDF5 readers skip the user block, so h5py,
// h5dump and xarray read a sealed file as any other; by hand: `tail -c +513 FILE | sha256sum`.
#pragma once
#include <cstdint>
#include <string>

namespace tamcarlo {

/// The size of the user block that holds the seal, in bytes (HDF5's smallest user block).
inline constexpr std::uint64_t k_seal_bytes = 512;

/// Writes the seal into the first k_seal_bytes of the closed HDF5 file at `path` (created with that user block);
/// its commit (commit_together) puts it on the disk. Throws RunError naming `target` (the name the file will have).
void seal_file(const std::string& path, const std::string& target);

/// What check_seal found.
enum class SealState {
  sealed,    ///< the seal is present and matches every byte after it
  unsealed,  ///< the file starts with the HDF5 signature: written before seals (results ≤ format 2, parts ≤ 2)
  foreign,   ///< neither a seal nor HDF5 at offset 0 or 512: not a file tamcarlo wrote
  damaged,   ///< a seal whose digest does not match, a seal whose own bytes changed, or a sealed file cut short
};

/// Reads `path` whole and compares it with its seal; `why` receives the reason when damaged.
/// Throws RunError when the file cannot be read.
[[nodiscard]] SealState check_seal(const std::string& path, std::string* why = nullptr);

/// RunError's text for a file that check_seal found damaged: names it, says why and what to do.
[[nodiscard]] std::string damaged_message(const std::string& path, const std::string& why, const std::string& remedy);

}  // namespace tamcarlo
