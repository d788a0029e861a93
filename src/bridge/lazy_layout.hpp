// LazyLayout: a heap layout the bridge registers at its first use — the
// layouts of its own objects (a Channel, a ChannelOp, a Thread, a
// ThreadLocal), which a program that never makes one should not cost.
//
// Invariants:
//   - The layout is registered at most once (std::call_once); a heap
//     whose layout table is full refuses it, and every later type() says
//     so again.
//   - holds() may run on any thread at any time, also while another thread
//     registers: the type is published with a release store and read with
//     an acquire load, so a reader sees 0 (no object of the layout can
//     exist yet) or the registered type, never a torn or stale value.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"

namespace runa::bridge {

class LazyLayout {
 public:
  // `layout`'s name and field names must outlive the heap (literals).
  LazyLayout(heap::Heap& heap, const heap::Layout& layout) : heap_(heap), layout_(layout) {}

  // The layout's type, registered the first time; an error ("natives")
  // when the heap's layout table has no room.
  Result<std::uint32_t> type() {
    std::call_once(once_, [&] {
      if (auto t = heap_.register_layout(layout_)) type_.store(*t, std::memory_order_release);
    });
    const std::uint32_t t = type_.load(std::memory_order_acquire);
    if (t != 0) return t;
    Error e;
    e.section = "natives";
    e.message = std::string("the heap's layout table is full (no room for ") + layout_.name + ")";
    return e;
  }

  // Whether v is an object of this layout.
  [[nodiscard]] bool holds(heap::Value v) const {
    const std::uint32_t t = type_.load(std::memory_order_acquire);
    return t != 0 && heap::is_ref(v) && v != 0 &&
           heap::hdr::type_of(heap::as_object(v)->load_header()) == t;
  }

 private:
  heap::Heap& heap_;
  heap::Layout layout_;
  std::once_flag once_;
  std::atomic<std::uint32_t> type_{0};
};

}  // namespace runa::bridge
