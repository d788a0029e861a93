// SnapshotFile: the file a heap snapshot streams into (a GiB of text for a
// GiB of heap), written by a thread of its own while the caller formats.
//
// Where a snapshot's time went, besides formatting, was the kernel's side
// of writing: on the project's virtual machines every page the guest takes
// from its free memory costs a hypervisor fault on first touch (freed
// memory goes back to the host), so the page cache of a new 1.25 GB file
// cost 0.3-1.3 s, and truncating an existing one (fopen "w") 0.3-1.5 s
// more (freeing its pages, waiting for those under writeback). So:
//
//  - An existing file with most of its pages in the page cache
//    (cachestat(2)) is written over in place (opened without O_TRUNC) and
//    cut to length at the end: its pages are reused, none freed and none
//    taken. Writes are whole buffers from offset 0 (but the last), so
//    none covers part of a page that is not in the cache, which the
//    kernel would first read from the disk.
//  - A new or empty regular file, or one mostly out of the cache (as a
//    file a snapshot wrote directly is; truncated first, which frees
//    little), is written with O_DIRECT: from this class's buffers, which
//    are reused, straight to the device, taking no page cache at all; the
//    wait for the device is this class's thread's, not the formatting
//    workers'. A file system that refuses O_DIRECT, and the file's last
//    bytes (not a multiple of the 512-byte alignment), go through the
//    page cache.
//
// What a reader sees while the file is written differs from fopen "w" in
// one respect: an existing file's old bytes past the new text stay until
// finish() cuts them. (A failed snapshot removes its file, as before.)
//
// The thread protocol: kSlots buffers, each owned either by the appender
// (filling) or, once marked full, by the writing thread, which marks it
// free again after its write() returned; both under mu_, which orders the
// buffer's bytes. The appender fills slots in ring order and the thread
// writes them in the same order. The interleaving this excludes: the
// appender refilling a buffer the thread still writes from (the file
// would get the new bytes in the old place) — the appender waits until the
// slot is free. A thread that cannot be started (no memory) leaves the
// writes to the appender, which then writes each slot as it fills.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "services/heapsnapshot.hpp"

namespace runa::services {

class SnapshotFile {
 public:
  SnapshotFile() = default;
  ~SnapshotFile();
  SnapshotFile(const SnapshotFile&) = delete;
  SnapshotFile& operator=(const SnapshotFile&) = delete;
  SnapshotFile(SnapshotFile&&) = delete;
  SnapshotFile& operator=(SnapshotFile&&) = delete;

  // Opens (creating) path; false with errno set when it cannot be opened.
  // Throws std::bad_alloc, before the file is touched, when there is no
  // memory for the buffers.
  bool open(const std::string& path);
  // Appends s (copied: s may be reused at once). Blocks while every
  // buffer is being written.
  void append(std::string_view s);
  // Writes the rest and cuts an existing file to length; false with errno
  // set when any write failed.
  bool finish();
  // Whether open() chose to write to the device directly (tests: the path
  // taken; fixed after open, unlike direct_, which the writing thread
  // clears for the last bytes).
  [[nodiscard]] bool direct() const { return opened_direct_; }
  // Bytes of buffers.
  [[nodiscard]] static std::size_t buffer_bytes() { return kSlots * kSlot; }

 private:
  static constexpr std::size_t kSlot = std::size_t{4} << 20;  // a multiple of 4 KiB
  static constexpr std::size_t kSlots = 3;

  struct Slot {
    TextBuffer buf;
    std::size_t used = 0;
    bool full = false;  // owned by the writing thread until it clears this
  };

  void hand_off(bool last);
  void write_slots();
  void write_out(const Slot& s);
  void write_all(const char* p, std::size_t n);
  void buffered();

  int fd_ = -1;
  bool regular_ = false;
  bool direct_ = false;
  bool opened_direct_ = false;
  std::vector<Slot> slots_;
  std::size_t fill_ = 0;  // the slot the appender fills
  std::mutex mu_;
  std::condition_variable cv_;
  bool closing_ = false;  // no slot will be handed off any more
  std::thread thread_;
  // The writer's own (the thread's, or the appender's without one; read
  // by finish() after the join).
  std::size_t next_write_ = 0;
  std::uint64_t written_ = 0;
  int error_ = 0;
};

}  // namespace runa::services
