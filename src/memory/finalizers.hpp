// Finalizers: the registry of finalizable objects, the queue of those found
// unreachable, and the finalizer thread that runs their finalizers after
// the collection, never inside it.
//
// Registration. allocate_finalizable() allocates the object and adds it to
// the registry: `young_` while it is in the nursery, `old_` once it is in
// the old generation or the large-object space. The lists are not roots:
// an object in them is only watched.
//
// The collector's part: resurrect(), called by both collectors after the
// first round of weak references and ephemerons (weak_refs.hpp), with the
// world stopped, written against Tracer only (so that any collector can
// call it, serial or parallel):
//
//  1. For each registered object this collection decides on (the young
//     list in a minor collection, both lists in a major one): if
//     Tracer::reached() says it was reached, the entry takes its new
//     address; otherwise the object leaves the registry and joins the
//     pending queue. All objects are decided before any is traced: one
//     dead finalizable object that reaches another must not make it look
//     alive, or the second would be finalized only in a later collection.
//  2. Every newly pending object is traced (its slot in the queue updated)
//     and the tracer drained, so it and everything it reaches survive.
//  3. Entries are sorted again by where they now are: a young object that
//     was promoted moves to the old list (objects never move from old to
//     young, so the old list needs no pass).
// When step 1 found anything, the collector repeats resolve_ephemerons()
// and clear_weak_refs(): tracing the resurrected objects may have found
// weak references and ephemerons the first round never saw.
//
// No allocation in the pause (docs/memory.md, "A pause never allocates"):
// resurrect() only moves entries from the registry to the queue and from
// the young list to the old one, and add() keeps room for that, so that
//   pending_.capacity() >= pending_.size() + young_.size() + old_.size() and
//   old_.capacity() >= old_.size() + young_.size()
// hold whenever a collection may start: a pause moves entries (the sums
// stay), take() only shrinks the queue, and add() restores both, or
// refuses the registration, which becomes the allocation's out-of-memory.
//
// The pending queue is a strong root (visit_roots in roots.cpp visits it),
// so a pending object and all it reaches live, and follow moves, until the
// finalizer thread takes it.
//
// The finalizer thread ("runa-finalizer") is an attached mutator, flagged
// MutatorRecord::finalizer_thread so that Safepoint::count() (which says
// whether users still have mutators attached) leaves it out. It is started
// when the first finalizable layout is registered, not with the heap: heaps
// without finalizable types (most of them, and every test and benchmark
// that does not ask for finalizers) get no extra thread or mutator, and a
// failure to create the thread becomes a registration error rather than a
// failure inside an allocation. Its loop:
//
//  - idle: inside a native region it waits on `work_` for a pending object
//    or for stop(); a collection never waits for it (it is in native);
//  - leaves native (which waits if a collection is under way), then, under
//    `mu_`, moves the front of the queue into a handle slot of a fresh
//    HandleScope: the object is never anywhere but in a root;
//  - calls the layout's finalizer with the world running, then counts it
//    and wakes wait() callers.
// It is woken after a collection has resumed the world (HeapImpl::collect
// calls wake() after Safepoint::resume), never from inside the collection:
// it would only wake to block in leave_native().
//
// Locking. `mu_` guards everything here. The collector takes it with the
// world stopped (visit, resurrect, for_each), so no thread may hold it
// while it waits for the world, or the collection would wait for a thread
// that waits for the collection. Every critical section here is short and
// waits for nothing but `mu_` itself: no allocation, safepoint poll,
// leave_native(), collection or attach happens under it. So when the world
// is stopped, the holder of `mu_`, if any, is not a running mutator (a
// running one holds it only between polls, and stop() waits until every
// mutator has polled or is in native); it is a thread in native (the
// finalizer thread or a wait() caller re-checking its condition after a
// wake-up) or a thread that is no mutator (stats()); each of them releases
// `mu_` without waiting for anything, and the collector proceeds. Nothing
// else is locked under `mu_` except by the collector: resurrect() holds it
// across Tracer::trace() and drain(), which may take the collector's own
// locks (block allocation) but never `mu_`, so no cycle can form. The
// finalizer thread's move from the queue into its handle happens under
// `mu_` while it runs (not in native), so no collection can fall between
// the two (it would have to stop the thread first, at a poll or in
// native, and neither happens there).
//
// Rules (docs/memory.md, "Finalizers"):
//  - Weak references to an object, and ephemerons keyed by it, that the
//    collection reached from the roots are cleared in the collection that
//    finds the object unreachable, before its finalizer runs. Those reached
//    only through pending objects (say, a weak field of the dying object)
//    are decided after the pending objects were traced, which count as
//    reached: they live until their finalizer has run.
//  - Everything reachable from a pending object is kept until its finalizer
//    has run (and after, if the finalizer stored the object somewhere).
//  - A finalizer runs at most once per object: a pending object has left
//    the registry, so a resurrected object is never finalized again.
//  - No order among objects that die together (as in Java): a finalizer may
//    see objects whose own finalizers already ran; they are intact (kept by
//    the queue or by the object being finalized) but may have released
//    whatever their finalizer releases.
//  - An object of a finalizable type allocated other than through
//    allocate_finalizable() is not registered and never finalized.
//  - Pending finalizers do not run when the heap is destroyed (as Java and
//    .NET do not run them at exit): stop() lets a finalizer that is running
//    return, then ends the thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "memory/mutators.hpp"
#include "memory/weak_refs.hpp"

namespace runa::heap {

class HeapImpl;

class Finalizers {
 public:
  enum class List { kYoung, kOld, kPending };
  struct Counts {
    std::uint64_t run = 0;      // finalizers that have returned
    std::uint64_t pending = 0;  // found unreachable, finalizer not returned yet
  };

  explicit Finalizers(HeapImpl& h) : h_(h) {}

  // Starts the finalizer thread unless it runs already; why not, on failure.
  std::optional<std::string> start();
  // Ends the finalizer thread (after the finalizer running, if any) and
  // joins it. Every other mutator is detached: no collection can start.
  void stop();

  // Registers `o`, just allocated by the running mutator; false when the
  // lists could not make room for it (out of memory: `o` is not registered).
  bool add(Object* o);

  // The collector's hook (see above), world stopped; `major`: the old list
  // is decided too. True when an object became pending.
  bool resurrect(Tracer& t, bool major);
  // The pending queue as roots, world stopped.
  void visit(RootVisitor& v);
  // After a collection has resumed the world: wakes the thread if work waits.
  void wake();
  // Heap::wait_for_finalizers for the running mutator `m`.
  void wait(MutatorRecord& m);

  [[nodiscard]] Counts counts() const;

  // Verification, world stopped: fn(object, list) for every entry.
  template <class Fn>
  void for_each(Fn&& fn) const {
    std::lock_guard lock(mu_);
    for (Object* o : young_) fn(o, List::kYoung);
    for (Object* o : old_) fn(o, List::kOld);
    for (std::size_t i = pending_head_; i < pending_.size(); ++i) {
      fn(as_object(pending_[i]), List::kPending);
    }
  }

 private:
  void thread_main();
  // Waits (in native) for the next pending object and moves it into `slot`;
  // false when stop() was called.
  bool take(MutatorRecord& m, Value* slot);

  HeapImpl& h_;
  mutable std::mutex mu_;
  std::condition_variable work_;  // the thread: an object pending, or stop()
  std::condition_variable done_;  // wait(): a finalizer returned
  std::vector<Object*> young_;    // registered, in the nursery
  std::vector<Object*> old_;      // registered, old or large
  // Found unreachable, oldest first from pending_head_: roots. Those before
  // it are taken, dropped in runs by take().
  std::vector<Value> pending_;
  std::size_t pending_head_ = 0;
  std::uint64_t found_ = 0;  // objects ever made pending
  std::uint64_t run_ = 0;    // finalizers that have returned
  bool stopping_ = false;
  std::thread thread_;
};

// The serial end of tracing in both collectors: the weak references and
// ephemerons recorded in `weak`, then the finalizable objects found
// unreachable (resurrected for their finalizers), then the weak references
// and ephemerons found while tracing those (the rules above).
void settle_unreachable(Finalizers& f, WeakRefs& weak, Tracer& t, bool major);

}  // namespace runa::heap
