// Watched: objects the heap's observers follow without keeping them alive
// (allocation samples, snapshot ids), each with a word of the observer's.
//
// An entry names an object by its address, so every collection must rename
// the objects it moves and drop those it frees: settle() runs in both
// collectors right after the finalizers' resurrection (finalizers.hpp),
// when Tracer::reached() is final for every object the collection decides
// on. A dropped entry's word goes to the observer's `died` callback, in the
// pause: it must not allocate or take locks mutators hold while allocating.
//
// Invariants:
//   - Between collections, every entry names the start of a live object
//     (or one that died since the last collection and is not freed yet).
//   - add() is the only call with the world running (any mutator thread,
//     under `mu_`); settle() and the observers' reads run with the world
//     stopped, so they need no lock: the safepoint handshake orders them
//     after every add().
//   - A pause never allocates (docs/memory.md): settle() compacts in place.
// An empty table costs a collection one size check.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "memory/weak_refs.hpp"

namespace runa::heap {

class Watched {
 public:
  struct Entry {
    Object* object;
    std::uint64_t word;
  };
  using Died = void (*)(void* ctx, std::uint64_t word);

  explicit Watched(Died died = nullptr, void* ctx = nullptr) : died_(died), ctx_(ctx) {}

  void add(Object* o, std::uint64_t word) {
    std::lock_guard lock(mu_);
    entries_.push_back({o, word});
  }
  void settle(Tracer& t);

  // World stopped only.
  std::vector<Entry>& entries() { return entries_; }

 private:
  std::mutex mu_;
  std::vector<Entry> entries_;
  Died died_;
  void* ctx_;
};

}  // namespace runa::heap
