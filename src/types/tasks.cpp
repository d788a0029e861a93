#include "types/tasks.hpp"

#include <atomic>

namespace runa::types {

namespace {

using heap::Object;

// A task's slots: three references, then two raw words.
constexpr std::size_t kCoroutine = 0;
constexpr std::size_t kResult = 1;
constexpr std::size_t kTrace = 2;
constexpr std::size_t kStatus = 3;
constexpr std::size_t kRecord = 4;
constexpr std::uint32_t kTaskBytes = 8 + 8 * 5;
constexpr std::uint64_t kPooled = 1;  // bit 0 of `record`

// A timer's raw words.
constexpr std::size_t kKind = 0;
constexpr std::size_t kDeadline = 1;
constexpr std::size_t kFired = 2;
constexpr std::uint32_t kTimerBytes = 8 + 8 * 3;

std::uint64_t& word(Value v, std::size_t i) {
  return heap::as_object(v)->slots()[i];
}

// The record word, read and written atomically: a pool task's is read by
// any thread (under its registry's lock, pool_tasks.hpp).
std::atomic_ref<std::uint64_t> record_word(Value task) {
  return std::atomic_ref<std::uint64_t>(word(task, kRecord));
}

}  // namespace

Result<Tasks> Tasks::create(heap::Heap& heap) {
  static const char* const kTaskFields[] = {"coroutine", "result", "trace"};
  heap::Layout task;
  task.kind = heap::LayoutKind::kPlain;
  task.size = kTaskBytes;
  task.refs = 3;
  task.name = "Task";
  task.field_names = kTaskFields;
  auto task_type = heap.register_layout(task);
  if (!task_type) return task_type.error();
  heap::Layout timer;
  timer.kind = heap::LayoutKind::kPlain;
  timer.size = kTimerBytes;
  timer.name = "Timer";
  auto timer_type = heap.register_layout(timer);
  if (!timer_type) return timer_type.error();
  return Tasks(*task_type, *timer_type);
}

// NOLINTNEXTLINE(readability-non-const-parameter): a root slot, which the collector writes
Value Tasks::make_task(heap::Mutator& m, Value* coroutine) const {
  Object* o = heap::allocate(m, task_type_, kTaskBytes);
  if (o == nullptr) return kNothing;
  o->slots()[kCoroutine] = *coroutine;
  o->slots()[kStatus] = static_cast<std::uint64_t>(Status::kPending);
  return heap::ref_value(o);
}

Value Tasks::make_timer(heap::Mutator& m, TimerKind kind, std::int64_t deadline) const {
  Object* o = heap::allocate(m, timer_type_, kTimerBytes);
  if (o == nullptr) return kNothing;
  o->slots()[kKind] = static_cast<std::uint64_t>(kind);
  o->slots()[kDeadline] = static_cast<std::uint64_t>(deadline);
  return heap::ref_value(o);
}

Value Tasks::coroutine(Value task) {
  return word(task, kCoroutine);
}
Tasks::Status Tasks::status(Value task) {
  return static_cast<Status>(
      std::atomic_ref<std::uint64_t>(word(task, kStatus)).load(std::memory_order_acquire));
}
Value Tasks::result(Value task) {
  return word(task, kResult);
}
Value Tasks::trace(Value task) {
  return word(task, kTrace);
}
void* Tasks::record(Value task) {
  // The word is the scheduler's record pointer, never a heap reference.
  const std::uint64_t w = record_word(task).load(std::memory_order_relaxed) & ~kPooled;
  return reinterpret_cast<void*>(w);  // NOLINT(performance-no-int-to-ptr)
}
void Tasks::set_record(Value task, void* record, bool pooled) {
  record_word(task).store(reinterpret_cast<std::uint64_t>(record) | (pooled ? kPooled : 0),
                          std::memory_order_relaxed);
}
bool Tasks::pooled(Value task) {
  return (record_word(task).load(std::memory_order_relaxed) & kPooled) != 0;
}

void Tasks::finish(heap::Mutator& m, Value task, Status status, Value result, Value trace) {
  heap::set_slot(m, heap::as_object(task), kResult, result);
  heap::set_slot(m, heap::as_object(task), kTrace, trace);
  record_word(task).store(record_word(task).load(std::memory_order_relaxed) & kPooled,
                          std::memory_order_relaxed);
  std::atomic_ref<std::uint64_t>(word(task, kStatus))
      .store(static_cast<std::uint64_t>(status), std::memory_order_release);
}

Tasks::TimerKind Tasks::timer_kind(Value timer) {
  return static_cast<TimerKind>(word(timer, kKind));
}
std::int64_t Tasks::deadline(Value timer) {
  return static_cast<std::int64_t>(word(timer, kDeadline));
}
bool Tasks::fired(Value timer) {
  return word(timer, kFired) != 0;
}
void Tasks::set_fired(Value timer) {
  word(timer, kFired) = 1;
}

}  // namespace runa::types
