// An open file descriptor with one owner (the commit and the seal work on descriptors, not streams).
#pragma once
#include <unistd.h>

#include <utility>

namespace tamcarlo {

/// Owns one file descriptor (−1: none) and closes it when destroyed; move-only.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { close(); }
  /// The descriptor (−1 when the open failed).
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  void close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_;
};

}  // namespace tamcarlo
