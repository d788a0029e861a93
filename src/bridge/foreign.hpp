// Foreign objects: heap objects that stand for a C++ object living outside
// the heap — a channel's queue, a program's lock — because the C++ object
// must not move (threads wait on it) while the heap moves everything.
//
//   object   plain object (a layout of its own per kind, finalizable), no
//            references, two raw words: the C++ object's address and its
//            number in the kind's process-wide table of live objects.
//   table    per kind T, immortal: number -> the owning unique_ptr<T> and
//            the heap whose object stands for it.
//
// Invariants:
//   - A C++ object is freed once, by whichever comes first: its heap
//     object's finalizer (no thread can reach the heap object any more) or
//     the end of its runtime (~ForeignObjects: finalizers still pending
//     when a heap is destroyed never run, docs/memory.md). Both take it out
//     of the table under the table's lock, so neither frees it twice.
//   - The table is immortal, so a finalizer running while a runtime ends
//     only ever touches a live table.
//   - A thread using the C++ object holds its heap object in a root slot
//     (a native's arguments are), so it is not finalized under the thread;
//     a collection may move the heap object meanwhile, never the C++ one.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/lazy_layout.hpp"
#include "runatime/heap.hpp"
#include "runatime/result.hpp"

namespace runa::bridge {

template <class T>
class ForeignObjects {
 public:
  // `name` (a string literal) names the heap layout, registered on first use.
  ForeignObjects(heap::Heap& heap, const char* name) : heap_(heap), layout_(heap, layout(name)) {}
  ForeignObjects(const ForeignObjects&) = delete;
  ForeignObjects& operator=(const ForeignObjects&) = delete;
  ForeignObjects(ForeignObjects&&) = delete;
  ForeignObjects& operator=(ForeignObjects&&) = delete;
  // Frees the C++ objects of this heap still alive. No thread may use them.
  ~ForeignObjects() {
    Table& table = Table::all();
    std::vector<std::unique_ptr<T>> freed;  // freed after the lock: ~T may take locks
    std::lock_guard lock(table.mu);
    for (auto it = table.live.begin(); it != table.live.end();) {
      if (it->second.heap == &heap_) {
        freed.push_back(std::move(it->second.object));
        it = table.live.erase(it);
      } else {
        ++it;
      }
    }
  }

  [[nodiscard]] bool is(heap::Value v) const { return layout_.holds(v); }

  // A heap object standing for `object` (which it then owns) in *out;
  // false when the heap is exhausted (`object` is freed). An error when the
  // layout cannot be registered. MAY COLLECT.
  Result<bool> make(heap::Mutator& m, std::unique_ptr<T> object, heap::Value* out) {
    auto type = layout_.type();
    if (!type) return type.error();
    heap::Object* o = heap::allocate_finalizable(m, *type, kBytes);
    if (o == nullptr) return false;
    o->slots()[0] = reinterpret_cast<heap::Value>(object.get());
    Table& table = Table::all();
    std::lock_guard lock(table.mu);
    o->slots()[1] = table.next;
    table.live.emplace(table.next++, Entry{std::move(object), &heap_});
    *out = heap::ref_value(o);
    return true;
  }

  // The C++ object `v` (is(v)) stands for.
  static T* of(heap::Value v) {
    // The raw word holds the address make() stored: a pointer, round-tripped.
    return reinterpret_cast<T*>(  // NOLINT(performance-no-int-to-ptr)
        heap::as_object(v)->slots()[0]);
  }

 private:
  static constexpr std::uint32_t kBytes = 24;  // header, address, number
  struct Entry {
    std::unique_ptr<T> object;
    heap::Heap* heap;
  };
  struct Table {
    std::mutex mu;
    std::unordered_map<std::uint64_t, Entry> live;
    std::uint64_t next = 1;
    static Table& all() {
      static auto* table = new Table;  // never destroyed: see the header
      return *table;
    }
  };
  // The heap's Finalizer signature: the slot is the heap's handle.
  static void finalize(heap::Mutator& /*m*/,
                       heap::Value* v) {  // NOLINT(readability-non-const-parameter)
    std::unique_ptr<T> freed;             // freed after the lock
    Table& table = Table::all();
    std::lock_guard lock(table.mu);
    auto it = table.live.find(heap::as_object(*v)->slots()[1]);
    if (it == table.live.end()) return;
    freed = std::move(it->second.object);
    table.live.erase(it);
  }

  static heap::Layout layout(const char* name) {
    heap::Layout l;
    l.size = kBytes;
    l.finalizable = true;
    l.finalizer = &finalize;
    l.name = name;
    return l;
  }

  heap::Heap& heap_;
  LazyLayout layout_;
};

}  // namespace runa::bridge
