// Tasks and timers of async functions: what the task natives make and
// AWAIT waits on (docs/bytecode.md §2.5.8; bridge/scheduler.hpp runs them).
//
//   task   plain object (layout "Task"): the references `coroutine` (what
//          the task runs), `result` (its result or exception) and `trace`
//          (that exception's trace when it is not an Exception object),
//          then the raw words `status` and `record` (the C++ record of a
//          pending task, 0 once it finished; bit 0 set for a task of the
//          runtime's pool, kept after it finished).
//   timer  plain object (layout "Timer"): raw words `kind` (a sleep, or a
//          yield to the other tasks), `deadline` (monotonic nanoseconds)
//          and `fired` (a yield: it has given way once).
//
// Invariants:
//   - A task's status goes pending -> returned or threw, once; its result
//     and trace are written before the status (a release store, read with
//     acquire: a pool task finishes on one thread and is read on others),
//     by the thread that ran it.
//   - `record` is set while pending only; it is never a heap reference.
//     Whether a task is pooled never changes.
#pragma once

#include <cstdint>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "runatime/values.hpp"

namespace runa::types {

class Tasks {
 public:
  enum class Status : std::uint8_t { kPending, kReturned, kThrew };
  enum class TimerKind : std::uint8_t { kSleep, kYield };

  // Registers the layouts with `heap`. Never collects.
  static Result<Tasks> create(heap::Heap& heap);

  [[nodiscard]] bool is_task(Value v) const { return has_type(v, task_type_); }
  [[nodiscard]] bool is_timer(Value v) const { return has_type(v, timer_type_); }

  // A pending task of the coroutine in *coroutine; nothing when the heap is
  // exhausted. MAY COLLECT.
  Value make_task(heap::Mutator& m, Value* coroutine) const;
  // A timer; nothing when the heap is exhausted. MAY COLLECT.
  Value make_timer(heap::Mutator& m, TimerKind kind, std::int64_t deadline) const;

  [[nodiscard]] static Value coroutine(Value task);
  [[nodiscard]] static Status status(Value task);
  [[nodiscard]] static Value result(Value task);
  [[nodiscard]] static Value trace(Value task);
  // The record of a pending task (untagged); nullptr once it finished.
  [[nodiscard]] static void* record(Value task);
  // `record` aligned to 2 at least; `pooled`: the task runs on the pool.
  static void set_record(Value task, void* record, bool pooled);
  [[nodiscard]] static bool pooled(Value task);
  // Finishes the task: its result (or exception and trace). Never collects.
  static void finish(heap::Mutator& m, Value task, Status status, Value result, Value trace);

  [[nodiscard]] static TimerKind timer_kind(Value timer);
  [[nodiscard]] static std::int64_t deadline(Value timer);
  [[nodiscard]] static bool fired(Value timer);
  static void set_fired(Value timer);

 private:
  Tasks(std::uint32_t task, std::uint32_t timer) : task_type_(task), timer_type_(timer) {}
  static bool has_type(Value v, std::uint32_t type) {
    return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == type;
  }

  std::uint32_t task_type_;
  std::uint32_t timer_type_;
};

}  // namespace runa::types
