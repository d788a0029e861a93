// `runa run`'s heap observers: --heap-profile, --heap-snapshot (at exit and
// on SIGUSR2), --leak-check. Each writes through the public API
// (runatime/heap_profile.hpp) and reports failures as `runa run: ...`.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "runatime/heap.hpp"

namespace runa::cli {

// Writes a heap snapshot each time the process gets SIGUSR2, to PATH with
// "-1", "-2", ... before its extension, from a thread of its own attached
// to the heap (in a native region while it waits, so it never delays a
// collection). block() must run before any other thread starts, so that
// the signal reaches only this thread's sigtimedwait.
class SnapshotOnSignal {
 public:
  static void block();
  SnapshotOnSignal(heap::Heap& heap, std::string path);
  ~SnapshotOnSignal();
  SnapshotOnSignal(const SnapshotOnSignal&) = delete;
  SnapshotOnSignal& operator=(const SnapshotOnSignal&) = delete;
  SnapshotOnSignal(SnapshotOnSignal&&) = delete;
  SnapshotOnSignal& operator=(SnapshotOnSignal&&) = delete;

 private:
  void run();

  heap::Heap& heap_;
  std::string path_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// PATH with "-N" before its extension: heap.heapsnapshot -> heap-2.heapsnapshot.
std::string numbered(const std::string& path, unsigned n);

// Both write at exit; false after printing why they could not.
bool write_snapshot(heap::Heap& heap, heap::Mutator& m, const std::string& path);
bool write_profile(heap::Heap& heap, heap::Mutator& m, const std::string& path);

}  // namespace runa::cli
