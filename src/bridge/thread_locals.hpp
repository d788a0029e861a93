// Thread-local storage for programs (docs/concurrency.md, "Thread-local
// storage for programs"): thread_local_new(initial) makes a key,
// thread_local_get(key) gives the calling thread's value (the key's initial
// value on a thread that never set one), thread_local_set(key, value) sets
// it.
//
//   key    plain finalizable object (layout "ThreadLocal"): one reference
//          field, the initial value (traced and moved as any field), then
//          two raw words: the number of the ThreadLocals it belongs to
//          (process-wide, never reused) and its own number (never reused in
//          that ThreadLocals).
//   Table  one per rt::Thread (Thread::locals), made at the thread's first
//          set: key number -> a persistent slot holding the thread's value,
//          so the collector keeps the value alive and updates the slot when
//          the value moves.
//
// Invariants:
//   - A thread reads and writes only its own Table, under the Table's lock.
//     Two others reach it: the finalizer of a dead key (it erases that
//     key's entry from every Table) and the thread's detach (it takes the
//     Table out, then frees it). Both find Tables through `tables_` under
//     `mu_`. Lock order: the registry's lock (thread_locals.cpp), then
//     `mu_`, then a Table's lock.
//   - Nothing under these locks allocates on the heap, polls or blocks on
//     anything else, so holding one never delays a collection.
//   - A thread's value lives while the thread is attached and the key is
//     reachable: detach frees all the thread's slots, a key's finalizer
//     frees the key's slot on every thread. A thread using a key holds it
//     in a root slot (a native's argument), so the key is never finalized
//     under it, and no entry for a dead key is made after its finalizer.
//   - Tasks of one thread share its values: they are one thread's turns.
//     An actor's behaviour runs on a pool worker, whichever is free, so
//     there the values are the worker's, not the actor's.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_set>

#include "bridge/lazy_layout.hpp"
#include "runatime/runtime.hpp"

namespace runa::bridge {

using heap::Value;

class ThreadLocals {
 public:
  explicit ThreadLocals(heap::Heap& heap);
  // Every thread has detached (their Tables are freed).
  ~ThreadLocals();
  ThreadLocals(const ThreadLocals&) = delete;
  ThreadLocals& operator=(const ThreadLocals&) = delete;
  ThreadLocals(ThreadLocals&&) = delete;
  ThreadLocals& operator=(ThreadLocals&&) = delete;

  [[nodiscard]] bool is_key(Value v) const;
  // A new key whose initial value is *initial, in *out. False when the
  // heap is exhausted; an error when the layout cannot be registered.
  // MAY COLLECT.
  Result<bool> make_key(heap::Mutator& m, const Value* initial, Value* out);
  // The calling thread's value of `key` (is_key). Never collects.
  static Value get(const rt::Thread& t, Value key);
  // Sets it. Never collects.
  void set(rt::Thread& t, Value key, Value value);
  // From Runtime::detach: frees t's Table and its slots.
  void release(rt::Thread& t);

 private:
  struct Table;
  friend struct KeyFinalizer;
  // A dead key's finalizer: drops its value on every thread.
  void forget(std::uint64_t key);

  heap::Heap& heap_;
  const std::uint64_t number_;  // in the registry
  // The key's layout (is_key may run on a thread that got a key through a
  // racy global store, with no happens-before edge to the registration:
  // LazyLayout's type is atomic).
  LazyLayout keys_;
  std::atomic<std::uint64_t> next_{1};
  std::mutex mu_;  // tables_
  std::unordered_set<Table*> tables_;
};

}  // namespace runa::bridge
