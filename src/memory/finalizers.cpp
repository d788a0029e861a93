// Finalizers: registration, the collectors' hook and the finalizer thread
// (finalizers.hpp argues the algorithm, the locking and the rules).
#include "memory/finalizers.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <system_error>
#include <utility>

#include "memory/heap.hpp"

namespace runa::heap {

std::optional<std::string> Finalizers::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return std::nullopt;
  try {
    thread_ = std::thread([this] { thread_main(); });
  } catch (const std::system_error& e) {
    return std::string("cannot start the finalizer thread: ") + e.what();
  }
  return std::nullopt;
}

void Finalizers::stop() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    t = std::move(thread_);
  }
  work_.notify_all();
  if (t.joinable()) t.join();
}

bool Finalizers::add(Object* o) {
  std::lock_guard lock(mu_);
  // Doubling, so that registering n objects reallocates log n times.
  auto room = [](auto& v, std::size_t n) {
    if (v.capacity() < n) v.reserve(std::max(n, 2 * v.capacity()));
  };
  try {
    std::size_t registered = young_.size() + old_.size() + 1;
    room(young_, young_.size() + 1);
    room(old_, old_.size() + young_.size() + 1);
    room(pending_, pending_.size() + registered);
  } catch (const std::bad_alloc&) {
    return false;
  }
  (h_.nursery.contains(o) ? young_ : old_).push_back(o);
  return true;
}

bool Finalizers::resurrect(Tracer& t, bool major) {
  std::lock_guard lock(mu_);
  std::size_t first = pending_.size();
  // Decide every entry before tracing any (finalizers.hpp, step 1).
  auto decide = [&](std::vector<Object*>& list) {
    std::size_t keep = 0;
    for (Object* o : list) {
      if (auto now = t.reached(ref_value(o))) {
        list[keep++] = as_object(*now);
      } else {
        pending_.push_back(ref_value(o));
      }
    }
    list.resize(keep);
  };
  decide(young_);
  if (major) decide(old_);
  for (std::size_t i = first; i < pending_.size(); ++i) t.trace(&pending_[i]);
  t.drain();
  found_ += pending_.size() - first;

  std::size_t keep = 0;
  for (Object* o : young_) {
    if (h_.nursery.contains(o)) {
      young_[keep++] = o;
    } else {
      old_.push_back(o);
    }
  }
  young_.resize(keep);
  return pending_.size() != first;
}

void Finalizers::visit(RootVisitor& v) {
  std::lock_guard lock(mu_);
  for (std::size_t i = pending_head_; i < pending_.size(); ++i) v.visit(&pending_[i]);
}

void Finalizers::wake() {
  std::lock_guard lock(mu_);
  if (pending_head_ != pending_.size()) work_.notify_one();
}

void Finalizers::wait(MutatorRecord& m) {
  if (m.finalizer_thread) {
    std::fputs("runatime: wait_for_finalizers called from a finalizer (it would wait for itself)\n",
               stderr);
    std::abort();
  }
  std::uint64_t target = 0;
  {
    // Running: no collection is under way, so found_ counts every object
    // found unreachable so far.
    std::lock_guard lock(mu_);
    target = found_;
  }
  NativeRegion native(m);
  std::unique_lock lock(mu_);
  done_.wait(lock, [&] { return run_ >= target; });
}

Finalizers::Counts Finalizers::counts() const {
  std::lock_guard lock(mu_);
  return {run_, found_ - run_};
}

bool Finalizers::take(MutatorRecord& m, Value* slot) {
  {
    NativeRegion idle(m);
    std::unique_lock lock(mu_);
    work_.wait(lock, [&] { return stopping_ || pending_head_ != pending_.size(); });
  }  // `mu_` is released before leave_native(), which may wait for a collection
  // Running now: no collection can happen before this thread polls, so the
  // object goes from one root (the queue) to another (the slot) unseen.
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  *slot = pending_[pending_head_++];  // only this thread removes from the queue
  // Dropping the taken front once it is half the queue costs O(1) a take.
  if (2 * pending_head_ >= pending_.size()) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
  return true;
}

void Finalizers::thread_main() {
  pthread_setname_np(pthread_self(), "runa-finalizer");
  MutatorRecord& m = h_.attach(true);
  for (;;) {
    HandleScope scope(m);
    Handle object(m, Value{0});
    if (!take(m, object.slot())) break;
    const Layout& l = h_.layouts.at(hdr::type_of(object->load_header()));
    l.finalizer(m, object.slot());
    {
      std::lock_guard lock(mu_);
      ++run_;
    }
    done_.notify_all();
  }
  h_.detach(m);
}

Object* allocate_finalizable(Mutator& m, std::uint32_t type, std::size_t bytes) {
  HeapImpl& h = *record(m).heap;
  const Layout* l = h.layouts.find(type);
  if (l == nullptr || !l->finalizable) {
    std::fprintf(stderr, "runatime: allocate_finalizable of type %u, which is not finalizable\n",
                 type);
    std::abort();
  }
  Object* o = bytes >= kLargeObject ? allocate_large(m, type, bytes) : allocate(m, type, bytes);
  if (o == nullptr || !h.finalizers.add(o)) return nullptr;
  return o;
}

void settle_unreachable(Finalizers& f, WeakRefs& weak, Tracer& t, bool major) {
  weak.resolve_ephemerons(t);
  weak.clear_weak_refs(t);
  if (f.resurrect(t, major)) {
    weak.resolve_ephemerons(t);
    weak.clear_weak_refs(t);
  }
}

}  // namespace runa::heap
