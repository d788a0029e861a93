// Forwarding: how the collector's workers agree on who copies an object.
//
// Several workers may reach the same object at once. Each copy of an object
// must be made exactly once, and every slot that reaches it must end up with
// the copy's address. The header word decides, by compare-and-swap:
//
//   live header h  --claim-->  kBusy  --publish-->  (copy address | kForwarded)
//
//  - claim(): CAS from the header the worker read to kBusy. The winner
//    copies the object; a loser reads the header again.
//  - kBusy is kForwarded with no address (a header never has bit 0 set, a
//    copy is never at address 0): a worker that reads it waits (settle)
//    until the winner publishes, which takes one memcpy. In the major
//    collector a winner that finds no room for the copy stores the header
//    back, marked, instead: so after settle() the word may be either.
//    The wait spins, then yields (concurrency/spin_wait.hpp): with more
//    workers than cores the winner may be pre-empted between its claim and
//    its publish, and a loser that only spun would hold the core the
//    winner needs until the end of its time slice.
//  - publish(): a release store of the forwarding word, after the copy is
//    complete. A worker that reads it with acquire may follow the address
//    and read the copy (the copy's header in particular).
//  - publish_self(): in the minor collector, a winner that finds no room
//    for the copy (promotion failure: no old block left, and the survivor
//    half full) forwards the object to itself instead. The word is the
//    object's own header with kForwarded and kSelf set, so the type, age
//    and hash stay readable and the header comes back exactly (original())
//    once the collection has finished with it. kSelf is kUnlogged's bit: a
//    young header never has it set (only old objects are unlogged), and a
//    forwarding word to a copy never has it (a copy's address is 8-aligned).
//
// Promotion failure with several workers. Only the worker whose claim
// succeeded tries to find room, so only it can fail, and every other
// worker takes what it published:
//
//   worker A                         worker B
//   load h; claim (h -> kBusy) ok    load: kBusy -> settle() waits
//   promote: no block; survivors:    .
//     no room                        .
//   publish_self: h|kSelf|kForwarded settle() returns the self word
//   push o (A or a thief scans it)   forwardee(o, w) == o: slot unchanged
//
// B never copies o, never pushes it, and never sees kBusy as a result: both
// agree that o stays where it is and is scanned once. Had B claimed first,
// the roles swap; a B that loads after A published reads the self word at
// once. (tests/memory/promotion_failure_test.cpp plays this interleaving.)
//
// Claiming first, rather than copying first and racing to install the
// forwarding word, means a loser never reads the object's slots while the
// winner (or, in the major collector, a worker that marked it in place)
// updates them, and no space is wasted on copies that lose.
//
// A collection running on one worker (gc_threads = 1, a small nursery, and
// the serial steps after the parallel ones) writes the same words with
// plain stores, without claiming: nobody else reads them, and a locked
// compare-and-swap per object would slow it down for nothing.
//
// Marking in place (major_gc.cpp) uses the same word: CAS from h to h with
// the current mark polarity. A CAS that fails found the header marked,
// claimed or forwarded by another worker, and the caller reads it again.
#pragma once

#include <atomic>
#include <cstdint>

#include "concurrency/spin_wait.hpp"
#include "runatime/heap.hpp"

namespace runa::heap::forwarding {

inline constexpr std::uint64_t kBusy = hdr::kForwarded;

inline std::atomic_ref<std::uint64_t> header(Object* o) {
  return std::atomic_ref<std::uint64_t>(o->header);
}

inline std::uint64_t load(Object* o) {
  return header(o).load(std::memory_order_acquire);
}

inline bool claim(Object* o, std::uint64_t& h) {
  return header(o).compare_exchange_strong(h, kBusy, std::memory_order_acquire,
                                           std::memory_order_acquire);
}

inline void publish(Object* from, const Object* to) {
  header(from).store(ref_value(to) | hdr::kForwarded, std::memory_order_release);
}

// h, or once o is no longer claimed, what its winner stored.
inline std::uint64_t settle(Object* o, std::uint64_t h) {
  concurrency::SpinWait spin;
  while (h == kBusy) {
    spin.wait();
    h = load(o);
  }
  return h;
}

// Marks the self-forwarding word of a young object that stays in place.
inline constexpr std::uint64_t kSelf = hdr::kUnlogged;

inline void publish_self(Object* o, std::uint64_t h) {
  header(o).store(h | hdr::kForwarded | kSelf, std::memory_order_release);
}

inline bool forwarded(std::uint64_t h) {
  return (h & hdr::kForwarded) != 0;
}
inline bool self_forwarded(std::uint64_t h) {
  return (h & (hdr::kForwarded | kSelf)) == (hdr::kForwarded | kSelf);
}
// Where o is now, from its settled forwarding word h: the copy, or o itself.
inline Value forwardee(const Object* o, std::uint64_t h) {
  return self_forwarded(h) ? ref_value(o) : h & ~hdr::kForwarded;
}
// The header a self-forwarding word was made from.
inline std::uint64_t original(std::uint64_t h) {
  return h & ~(hdr::kForwarded | kSelf);
}

}  // namespace runa::heap::forwarding
