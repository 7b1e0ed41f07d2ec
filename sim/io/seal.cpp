#include "sim/io/seal.hpp"

#include "sim/base/error.hpp"
#include "sim/io/unique_fd.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <nettle/sha2.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace tamcarlo {

namespace {

constexpr std::string_view k_magic = "tamcarlo sealed HDF5\nsha256 ";
constexpr std::string_view k_hdf5_signature = "\x89HDF\r\n\x1a\n";

// The SHA-256 of the bytes of `fd` from k_seal_bytes to its end, in lowercase hex.
std::string digest_after_seal(int fd, const std::string& path) {
  // Nettle's SHA-256: no start-up (OpenSSL 3's provider fetch took about 0.5 ms, longer than hashing a small result).
  sha256_ctx ctx;
  sha256_init(&ctx);
  constexpr std::size_t k_buffer = std::size_t{256} << 10;
  const std::unique_ptr<unsigned char[]> buffer(new unsigned char[k_buffer]);  // not zeroed: pread fills it
  off_t at = static_cast<off_t>(k_seal_bytes);
  for (;;) {
    const ssize_t got = ::pread(fd, buffer.get(), k_buffer, at);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw RunError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    }
    if (got == 0) break;
    sha256_update(&ctx, static_cast<std::size_t>(got), buffer.get());
    at += got;
  }
  std::array<std::uint8_t, SHA256_DIGEST_SIZE> md{};
  sha256_digest(&ctx, md.size(), md.data());
  std::string hex;
  for (const std::uint8_t b : md) hex += fmt::format("{:02x}", b);
  return hex;
}

// The whole user block for `hex`: the magic, the digest, a newline and zeros up to k_seal_bytes.
std::string seal_block(const std::string& hex) {
  std::string block = std::string(k_magic) + hex + "\n";
  block.resize(k_seal_bytes, '\0');
  return block;
}

}  // namespace

void seal_file(const std::string& path, const std::string& target) {
  const UniqueFd f(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (f.get() < 0) throw RunError(fmt::format("cannot seal {}: {}", target, std::strerror(errno)));
  std::array<char, k_seal_bytes> head{};
  if (::pread(f.get(), head.data(), head.size(), 0) != static_cast<ssize_t>(head.size()) ||
      std::any_of(head.begin(), head.end(), [](char c) { return c != '\0'; }))
    throw RunError(fmt::format("internal error: {} has no empty user block to seal (please report it)", target));
  const std::string block = seal_block(digest_after_seal(f.get(), target));
  if (::pwrite(f.get(), block.data(), block.size(), 0) != static_cast<ssize_t>(block.size()))
    throw RunError(fmt::format("cannot write {}: {}; nothing was written there", target, std::strerror(errno)));
}

SealState check_seal(const std::string& path, std::string* why) {
  const UniqueFd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.get() < 0) throw RunError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::string head(k_seal_bytes, '\0');
  const ssize_t got = ::pread(f.get(), head.data(), head.size(), 0);
  if (got < 0) throw RunError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  head.resize(static_cast<std::size_t>(got));
  const auto say = [&](std::string text) {
    if (why) *why = std::move(text);
    return SealState::damaged;
  };
  if (head.starts_with(k_hdf5_signature)) return SealState::unsealed;
  const bool hdf5_after_seal = head.size() == k_seal_bytes && [&] {
    std::string next(k_hdf5_signature.size(), '\0');
    return ::pread(f.get(), next.data(), next.size(), static_cast<off_t>(k_seal_bytes)) ==
               static_cast<ssize_t>(next.size()) && next == k_hdf5_signature;
  }();
  if (!head.starts_with(k_magic) && !hdf5_after_seal) return SealState::foreign;
  if (head.size() < k_seal_bytes) return say("it is shorter than its seal (truncated)");
  const std::string hex = digest_after_seal(f.get(), path);
  if (head == seal_block(hex)) return SealState::sealed;
  if (!head.starts_with(k_magic)) return say("its first 512 bytes, which hold its SHA-256 seal, were changed");
  return say(fmt::format("its content no longer matches its SHA-256 seal (sealed {}…, now {}…): it was changed or "
                         "truncated after tamcarlo wrote it",
                         head.substr(k_magic.size(), 12), hex.substr(0, 12)));
}

std::string damaged_message(const std::string& path, const std::string& why, const std::string& remedy) {
  return fmt::format("{} is damaged: {}; {}", path, why, remedy);
}

}  // namespace tamcarlo
