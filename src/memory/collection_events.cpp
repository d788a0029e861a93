// CollectionEvents (see collection_events.hpp) and the Heap calls over it.
#include "memory/collection_events.hpp"

#include <algorithm>

#include "memory/heap.hpp"

namespace runa::heap {

static_assert(static_cast<int>(CollectionCause::kEdenFull) == static_cast<int>(Cause::kEdenFull));
static_assert(static_cast<int>(CollectionCause::kStress) == static_cast<int>(Cause::kStress));
static_assert(static_cast<int>(CollectionCause::kRequested) == static_cast<int>(Cause::kRequested));
static_assert(static_cast<int>(CollectionCause::kOldGrown) == static_cast<int>(Cause::kOldGrown));
static_assert(static_cast<int>(CollectionCause::kNoRoom) == static_cast<int>(Cause::kNoRoom));
static_assert(static_cast<int>(CollectionCause::kLargeFailure) ==
              static_cast<int>(Cause::kLargeFailure));

namespace {

// The callbacks the calling thread is inside, innermost first, so that
// remove() does not wait for a call it is itself part of: a chain of
// records on the thread's stack (notify), which allocates nothing.
struct Calling {
  const CollectionEvents* events;
  std::uint64_t id;
  Calling* outer;
};
thread_local Calling* t_calling = nullptr;

template <class Pred>
unsigned count_calling(Pred&& pred) {
  unsigned n = 0;
  for (const Calling* c = t_calling; c != nullptr; c = c->outer) n += pred(*c) ? 1 : 0;
  return n;
}

}  // namespace

CollectionEvents::Entry* CollectionEvents::find_locked(std::uint64_t id) {
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.id == id; });
  return it == entries_.end() ? nullptr : &*it;
}

std::uint64_t CollectionEvents::add(CollectionCallback fn, void* ctx) {
  std::lock_guard lock(mu_);
  entries_.push_back({next_id_, fn, ctx, 0, false});
  return next_id_++;
}

bool CollectionEvents::remove(MutatorRecord& m, std::uint64_t id) {
  std::unique_lock lock(mu_);
  Entry* e = find_locked(id);
  if (e == nullptr || e->removed) return false;
  e->removed = true;  // no call starts from now on
  unsigned mine = count_calling([&](const Calling& c) { return c.events == this && c.id == id; });
  auto settled = [&] {
    Entry* f = find_locked(id);
    return f == nullptr || f->calls <= mine;
  };
  if (!settled()) {
    // The calls on other threads may allocate and collect: wait in native.
    lock.unlock();
    NativeRegion native(m);
    std::unique_lock relock(mu_);
    idle_.wait(relock, settled);
  } else {
    lock.unlock();
  }
  std::lock_guard again(mu_);
  // Still there with calls in progress only when this thread is inside one:
  // the last of them erases it (notify).
  if (Entry* f = find_locked(id); f != nullptr && f->calls == 0) {
    std::erase_if(entries_, [&](const Entry& x) { return x.id == id; });
  }
  return true;
}

void CollectionEvents::notify(MutatorRecord& m, const CollectionRecord& rec,
                              std::chrono::steady_clock::time_point start) {
  // A collection caused by a callback of this heap is not reported: under
  // stress_every=1 every allocation collects, and a callback that allocates
  // would recurse without end.
  if (count_calling([&](const Calling& c) { return c.events == this; }) != 0) return;
  CollectionEvent event;
  event.major = rec.major;
  event.cause = static_cast<CollectionCause>(rec.cause);
  event.start_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count());
  event.pause_ns = rec.pause_ns;
  event.before_bytes = rec.before;
  event.after_bytes = rec.after;
  event.promoted_bytes = rec.promoted;
  // The callbacks registered when the collection ended, in id order (the
  // entries are kept so), each found again under the lock after the
  // previous call: no copy of the list, so nothing to allocate.
  std::uint64_t last = 0;
  {
    std::lock_guard lock(mu_);
    if (entries_.empty()) return;
    last = entries_.back().id;
  }
  for (std::uint64_t after = 0;;) {
    CollectionCallback fn = nullptr;
    void* ctx = nullptr;
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mu_);
      auto it = std::find_if(entries_.begin(), entries_.end(),
                             [&](const Entry& e) { return e.id > after && !e.removed; });
      if (it == entries_.end() || it->id > last) break;
      ++it->calls;
      id = after = it->id;
      fn = it->fn;
      ctx = it->ctx;
    }
    Calling self{this, id, t_calling};
    t_calling = &self;
    fn(ctx, m, event);
    t_calling = self.outer;
    std::lock_guard lock(mu_);
    Entry* e = find_locked(id);
    if (--e->calls == 0 && e->removed) {
      std::erase_if(entries_, [&](const Entry& x) { return x.id == id; });
    }
    idle_.notify_all();
  }
}

std::uint64_t Heap::add_collection_callback(CollectionCallback fn, void* ctx) {
  return impl_->events.add(fn, ctx);
}

bool Heap::remove_collection_callback(Mutator& m, std::uint64_t id) {
  return impl_->events.remove(own(m), id);
}

}  // namespace runa::heap
