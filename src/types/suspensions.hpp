// Suspensions: the objects a call of a GENERATOR or an ASYNC function
// returns, holding the function's frame while it is not running
// (docs/bytecode.md §2.5.6; docs/bridge.md, "Suspended frames").
//
//   generator  plain object (layout "Generator"): the references `callee`
//   coroutine  (layout "Coroutine")              and `frame`, then the raw
//              words `status`, `offset` and `shape`.
//   frame      reference array (layout "Frame"): the saved values.
//
// The frame is tier-neutral, so that any tier may continue what another
// suspended (the bridge's contract with tiers, runatime/ops.hpp):
//   created    frame[0 .. n) are the call's arguments (shape.slots = n);
//              the body has not run.
//   suspended  frame[0 .. slots) the frame's slots, then `stack` operand
//              values, then four values per open try statement, outermost
//              first: its TRY_BEGIN's bytecode offset and its state word
//              (Integers), its pending value and its trace. `offset` is the
//              bytecode offset to continue at.
//   running    a tier runs the frame on some thread; the saved values are
//              stale.
//   done       returned or threw; never runs again.
//
// Invariants:
//   - The callee (the Function or Closure called) never changes.
//   - Only the thread that moved a suspension to `running` moves it out of
//     `running` (the bridge's resume), so two threads never run one frame.
//   - Both objects are precise for the collector (every saved value is in
//     a reference array, Integers as immediates) and move like any object.
#pragma once

#include <cstdint>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "runatime/values.hpp"

namespace runa::types {

class Suspensions {
 public:
  enum class Status : std::uint8_t { kCreated, kSuspended, kRunning, kDone };

  // What the saved frame holds: the number of values is
  // slots + stack + kHandlerValues * handlers.
  struct Shape {
    std::uint32_t slots = 0;
    std::uint32_t stack = 0;
    std::uint32_t handlers = 0;
    [[nodiscard]] std::uint32_t values() const { return slots + stack + kHandlerValues * handlers; }
  };
  static constexpr std::uint32_t kHandlerValues = 4;

  // Registers the layouts with `heap`. Never collects.
  static Result<Suspensions> create(heap::Heap& heap);

  [[nodiscard]] bool is_generator(Value v) const { return has_type(v, generator_type_); }
  [[nodiscard]] bool is_coroutine(Value v) const { return has_type(v, coroutine_type_); }
  [[nodiscard]] bool is_suspension(Value v) const { return is_generator(v) || is_coroutine(v); }

  // A created suspension (a generator, else a coroutine) of the callee in
  // *callee with the n arguments args[0..n) (root slots, re-read after each
  // allocation); nothing when the heap is exhausted. MAY COLLECT.
  Value make(heap::Mutator& m, bool generator, Value* callee, Value* args, std::uint32_t n) const;

  // Saves a frame: values[0 .. shape.values()) (root slots) continuing at
  // bytecode `offset`, and marks *s suspended. False when the heap is
  // exhausted (the frame array grows only when a frame needs more room
  // than it had). MAY COLLECT.
  bool save(heap::Mutator& m, Value* s, std::uint32_t offset, Shape shape, Value* values) const;

  [[nodiscard]] static Status status(Value s);
  static void set_status(Value s, Status status);
  // Marks a created or suspended suspension running, atomically: two
  // threads resuming it at once (pool tasks awaiting one coroutine, threads
  // stepping one generator) cannot both win. The status it had: the
  // caller won unless kRunning or kDone.
  [[nodiscard]] static Status claim(Value s);
  // Whether a frame was ever saved (else the values are the arguments).
  [[nodiscard]] static bool started(Value s);
  [[nodiscard]] static Value callee(Value s);
  [[nodiscard]] static std::uint32_t offset(Value s);
  [[nodiscard]] static Shape shape(Value s);
  // The saved values; valid until the next call that may collect.
  [[nodiscard]] static Value* values(Value s);

 private:
  Suspensions(std::uint32_t generator, std::uint32_t coroutine, std::uint32_t frame)
      : generator_type_(generator), coroutine_type_(coroutine), frame_type_(frame) {}

  static bool has_type(Value v, std::uint32_t type) {
    return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == type;
  }

  std::uint32_t generator_type_;
  std::uint32_t coroutine_type_;
  std::uint32_t frame_type_;
};

}  // namespace runa::types
