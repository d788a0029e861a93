// CollectionEvents: the callbacks that hear about every collection
// (Heap::add_collection_callback), for profilers and tiers that would
// otherwise parse the log or poll Stats under its lock.
//
// A callback runs on the thread that requested the collection, after the
// world has resumed and that thread is running again: it is an ordinary
// mutator call, so it may allocate, take handles and even collect. The
// collections a callback causes are not reported (to it or any other
// callback of the heap): under stress_every=1 a callback that allocates
// would otherwise recurse without end. It must not throw.
//
// Removal waits for the calls in progress of that callback on other threads,
// so that a callback's context may be freed as soon as remove() returns. The
// interleaving that would break a plain snapshot-and-call scheme: thread A
// copies the list and is about to call cb(ctx); thread B removes cb and frees
// ctx; A calls cb with freed ctx. Here A counts itself into the entry under
// the lock before calling, and B waits (in native, so that A may collect
// meanwhile) until the count drops to the calls B itself is inside (a
// callback may remove itself).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "memory/mutators.hpp"
#include "memory/stats.hpp"

namespace runa::heap {

class CollectionEvents {
 public:
  std::uint64_t add(CollectionCallback fn, void* ctx);
  // False if `id` is not registered. Waits for calls of it on other threads.
  bool remove(MutatorRecord& m, std::uint64_t id);
  // Calls every callback for the collection `rec` that began at `start`;
  // `m` is the requesting mutator, running, the world resumed.
  void notify(MutatorRecord& m, const CollectionRecord& rec,
              std::chrono::steady_clock::time_point start);

 private:
  struct Entry {
    std::uint64_t id;
    CollectionCallback fn;
    void* ctx;
    unsigned calls;  // in progress, on any thread
    bool removed;
  };
  Entry* find_locked(std::uint64_t id);

  std::mutex mu_;
  std::condition_variable idle_;
  std::vector<Entry> entries_;
  std::uint64_t next_id_ = 1;
};

}  // namespace runa::heap
