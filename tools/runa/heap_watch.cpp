// `runa run`'s heap observers (heap_watch.hpp).
#include "heap_watch.hpp"

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <ctime>

#include "runatime/heap_profile.hpp"

namespace runa::cli {
namespace {

sigset_t snapshot_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  return s;
}

// False after printing why, when `r` is an error.
template <class T>
bool reported(const Result<T>& r) {
  if (r) return true;
  std::fprintf(stderr, "runa run: %s\n", r.error().describe().c_str());
  return false;
}

}  // namespace

void SnapshotOnSignal::block() {
  sigset_t s = snapshot_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

SnapshotOnSignal::SnapshotOnSignal(heap::Heap& heap, std::string path)
    : heap_(heap), path_(std::move(path)), thread_([this] { run(); }) {}

SnapshotOnSignal::~SnapshotOnSignal() {
  stop_ = true;
  thread_.join();
}

void SnapshotOnSignal::run() {
  heap::Mutator& m = heap_.attach();
  sigset_t s = snapshot_signals();
  unsigned taken = 0;
  while (!stop_) {
    timespec wait{0, 100'000'000};  // 100 ms: how soon the thread notices the exit
    int got = 0;
    {
      heap::NativeRegion waiting(m);
      got = sigtimedwait(&s, nullptr, &wait);
    }
    if (got == SIGUSR2) write_snapshot(heap_, m, numbered(path_, ++taken));
  }
  heap_.detach(m);
}

std::string numbered(const std::string& path, unsigned n) {
  std::size_t slash = path.rfind('/');
  std::size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot == 0) {
    dot = path.size();
  }
  return path.substr(0, dot) + "-" + std::to_string(n) + path.substr(dot);
}

bool write_snapshot(heap::Heap& heap, heap::Mutator& m, const std::string& path) {
  return reported(heap::write_heap_snapshot(heap, m, path));
}

bool write_profile(heap::Heap& heap, heap::Mutator& m, const std::string& path) {
  return reported(heap::write_allocation_profile(heap, m, path));
}

}  // namespace runa::cli
