// CollectionEvents (see collection_events.hpp) and the Heap calls over it.
#include "memory/collection_events.hpp"

#include <algorithm>
#include <utility>

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

// The callbacks the calling thread is inside, innermost last, so that
// remove() does not wait for a call it is itself part of.
thread_local std::vector<std::pair<const CollectionEvents*, std::uint64_t>> t_calling;

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
  auto mine = static_cast<unsigned>(
      std::count(t_calling.begin(), t_calling.end(),
                 std::pair<const CollectionEvents*, std::uint64_t>{this, id}));
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
  if (std::any_of(t_calling.begin(), t_calling.end(),
                  [&](const auto& c) { return c.first == this; })) {
    return;
  }
  std::vector<std::uint64_t> ids;
  {
    std::lock_guard lock(mu_);
    if (entries_.empty()) return;
    for (const Entry& e : entries_) {
      if (!e.removed) ids.push_back(e.id);
    }
  }
  CollectionEvent event;
  event.major = rec.major;
  event.cause = static_cast<CollectionCause>(rec.cause);
  event.start_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count());
  event.pause_ns = rec.pause_ns;
  event.before_bytes = rec.before;
  event.after_bytes = rec.after;
  event.promoted_bytes = rec.promoted;
  for (std::uint64_t id : ids) {
    CollectionCallback fn = nullptr;
    void* ctx = nullptr;
    {
      std::lock_guard lock(mu_);
      Entry* e = find_locked(id);
      if (e == nullptr || e->removed) continue;
      ++e->calls;
      fn = e->fn;
      ctx = e->ctx;
    }
    t_calling.emplace_back(this, id);
    fn(ctx, m, event);
    t_calling.pop_back();
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
