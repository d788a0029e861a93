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
// Generations: a table that may grow to one entry per object (snapshot ids)
// keeps its young entries apart, so that a minor collection settles only
// those; old objects neither move nor die in a minor collection. A young
// entry whose object was promoted moves to the old list, which always has
// room for every young entry (`old_` is reserved ahead, outside pauses),
// so that settle() never allocates.
//
// Moves (the snapshot ids' table): a major collection that evacuates an
// object a snapshot named by its place (place_ids.hpp) adds an entry for
// the copy, with the id, through claim_move() and add_moved(), in the
// pause: room for them is kept outside pauses (`move_room_` entries beyond
// the invariant's, make_room()) and handed out by open_moves() at the
// start of the collection; an evacuation that finds none left does not
// move the object. Such an object may already have an entry (one named
// while young, promoted into a line a later snapshot numbered): then the
// address has two, and the first in the table's order (the older) is its
// id — settle() and take() keep the order in which entries were added.
//
// Invariants:
//   - Between collections, every entry names the start of a live object
//     (or one that died since the last collection and is not freed yet),
//     in `young_` exactly when the object is in the nursery (when the
//     table has a nursery; without one, everything is in `young_` and
//     every collection settles it all).
//   - old_.capacity() >= old_.size() + young_.size().
//   - add() and make_room() are the only calls with the world running (any
//     mutator thread, under `mu_`); settle(), the moves and the observers'
//     reads run with the world stopped (add_moved() locks: collector
//     workers call it in parallel); the safepoint handshake orders them
//     after every add().
// An empty table costs a collection one size check.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "memory/nursery.hpp"
#include "memory/weak_refs.hpp"

namespace runa::heap {

class Watched {
 public:
  struct Entry {
    Object* object;
    std::uint64_t word;
  };
  using Died = void (*)(void* ctx, std::uint64_t word);

  explicit Watched(const Nursery* nursery = nullptr, Died died = nullptr, void* ctx = nullptr)
      : nursery_(nursery), died_(died), ctx_(ctx) {}

  void add(Object* o, std::uint64_t word);
  // `major`: the whole heap was collected; otherwise only the nursery.
  void settle(Tracer& t, bool major);

  // World stopped: every entry, the table left empty (never allocates:
  // the young entries join the old list within its room); and a new table,
  // taken from `entries` (left empty). replace() throws std::bad_alloc
  // with nothing changed, `entries` kept, when there is no memory for the
  // young list; given back what take() gave, it never allocates.
  std::vector<Entry> take();
  void replace(std::vector<Entry>& entries);

  // Entries kept free for moves beyond the invariant's room; make_room()
  // (world running) makes it, or as much as memory allows.
  void set_move_room(std::size_t entries);
  void make_room();
  // Major collection, world stopped: open_moves() before marking; then
  // each move claims an entry (false: none left) and adds it.
  void open_moves();
  bool claim_move();
  void add_moved(Object* copy, std::uint64_t word);

 private:
  [[nodiscard]] bool young(const Object* o) const {
    return nursery_ == nullptr || nursery_->contains(o);
  }
  void keep_room();
  void settle(Tracer& t, std::vector<Entry>& list, bool from_young);

  std::mutex mu_;
  const Nursery* nursery_;
  std::vector<Entry> young_;
  std::vector<Entry> old_;
  std::size_t move_room_ = 0;
  std::atomic<std::ptrdiff_t> moves_left_{0};
  Died died_;
  void* ctx_;
};

}  // namespace runa::heap
