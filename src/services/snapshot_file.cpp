// SnapshotFile: see snapshot_file.hpp for why files are written this way
// and for the protocol between the appender and the writing thread.
#include "services/snapshot_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace runa::services {
namespace {

// O_DIRECT's alignment of offsets, lengths and memory on the project's
// file systems (statx's dio_offset_align and dio_mem_align: 512); the
// buffers are page-aligned, and every write but the last is a whole slot.
constexpr std::size_t kDirectAlign = 512;

// cachestat(2) (Linux 6.5), which the C library does not wrap yet: the
// same number on every architecture, and the kernel's structures.
constexpr long kCachestat = 451;
struct CachestatRange {
  std::uint64_t off, len;  // len 0: to the end of the file
};
struct Cachestat {
  std::uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

// Whether most of the file's pages are in the page cache; true where the
// kernel cannot tell (before 6.5), which writes over the file as before.
bool mostly_cached(int fd, std::uint64_t bytes) {
  CachestatRange range{0, 0};
  Cachestat cs{};
  if (::syscall(kCachestat, fd, &range, &cs, 0) != 0) return true;
  return cs.nr_cache * 2 * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) >= bytes;
}

}  // namespace

SnapshotFile::~SnapshotFile() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  if (fd_ >= 0) ::close(fd_);
}

bool SnapshotFile::open(const std::string& path) {
  slots_.resize(kSlots);
  for (Slot& s : slots_) s.buf = TextBuffer(kSlot);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0) return false;
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
    regular_ = true;
    // New, or not in the cache (one a snapshot wrote directly): no page
    // cache (the header comment); where the file system refuses, the flag
    // does not stick and writes go through the cache.
    const auto bytes = static_cast<std::uint64_t>(st.st_size);
    if (bytes != 0 && !mostly_cached(fd_, bytes) && ::ftruncate(fd_, 0) == 0) st.st_size = 0;
    if (st.st_size == 0) {
      int flags = ::fcntl(fd_, F_GETFL);
      direct_ = flags >= 0 && ::fcntl(fd_, F_SETFL, flags | O_DIRECT) == 0;
      opened_direct_ = direct_;
    }
  }
  try {
    thread_ = std::thread([this] { write_slots(); });
  } catch (const std::system_error&) {
    // No thread: the appender writes (hand_off).
  }
  return true;
}

void SnapshotFile::append(std::string_view s) {
  while (!s.empty()) {
    Slot& f = slots_[fill_];
    std::size_t n = std::min(s.size(), kSlot - f.used);
    std::memcpy(f.buf.get() + f.used, s.data(), n);
    f.used += n;
    s.remove_prefix(n);
    if (f.used == kSlot) hand_off(false);
  }
}

void SnapshotFile::hand_off(bool last) {
  if (!thread_.joinable()) {
    write_out(slots_[fill_]);
    slots_[fill_].used = 0;
    return;
  }
  std::unique_lock lock(mu_);
  slots_[fill_].full = true;
  closing_ = last;
  cv_.notify_all();
  if (last) return;
  fill_ = (fill_ + 1) % kSlots;
  cv_.wait(lock, [&] { return !slots_[fill_].full; });
  slots_[fill_].used = 0;
}

void SnapshotFile::write_slots() {
  std::unique_lock lock(mu_);
  for (;;) {
    Slot& s = slots_[next_write_];
    // Slots are handed off in ring order: when the next is not full, none
    // is, and after closing_ none will be.
    cv_.wait(lock, [&] { return s.full || closing_; });
    if (!s.full) return;
    lock.unlock();
    write_out(s);
    lock.lock();
    s.full = false;
    next_write_ = (next_write_ + 1) % kSlots;
    cv_.notify_all();
  }
}

void SnapshotFile::write_out(const Slot& s) {
  std::size_t n = direct_ ? s.used / kDirectAlign * kDirectAlign : s.used;
  write_all(s.buf.get(), n);
  if (n < s.used) {  // the file's last bytes: not a whole block
    buffered();
    write_all(s.buf.get() + n, s.used - n);
  }
}

void SnapshotFile::buffered() {
  if (!direct_) return;
  direct_ = false;
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0) error_ = errno;
}

void SnapshotFile::write_all(const char* p, std::size_t n) {
  while (n != 0 && error_ == 0) {
    ssize_t r = ::write(fd_, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EINVAL && direct_) {
      // O_DIRECT accepted by fcntl but refused by the file system's writes
      // (or a short write left the offset unaligned): the page cache.
      buffered();
      continue;
    }
    if (r <= 0) {
      error_ = r < 0 ? errno : EIO;
      return;
    }
    p += r;
    n -= static_cast<std::size_t>(r);
    written_ += static_cast<std::uint64_t>(r);
  }
}

bool SnapshotFile::finish() {
  hand_off(true);
  if (thread_.joinable()) thread_.join();
  // An existing file's old bytes past the new end go (the header comment).
  if (error_ == 0 && regular_ && ::ftruncate(fd_, static_cast<off_t>(written_)) != 0) {
    error_ = errno;
  }
  if (::close(fd_) != 0 && error_ == 0) error_ = errno;
  fd_ = -1;
  if (error_ != 0) errno = error_;
  return error_ == 0;
}

}  // namespace runa::services
