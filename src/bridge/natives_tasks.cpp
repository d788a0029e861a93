// The task natives (docs/natives.md, "Tasks"): spawning and running the
// coroutines of ASYNC functions on the calling thread's scheduler
// (scheduler.hpp) or on the runtime's pool (pool_tasks.hpp), the timers
// AWAIT waits on, sending a value into a generator, and the dump of every
// thread and its tasks.
#include <limits>

#include "bridge/actors.hpp"
#include "bridge/native_args.hpp"
#include "bridge/pool_tasks.hpp"
#include "bridge/runtime_impl.hpp"
#include "bridge/scheduler.hpp"
#include "runatime/ops.hpp"

namespace runa::bridge {

namespace {

// A new Task running the coroutine, started at the next wait of the
// current task (or at once under task_run).
NativeStatus task_spawn(NativeCall& call) {
  if (!Scheduler::of(*call.thread).spawn(call.args[0], &call.result)) return thrown_by(call);
  return NativeStatus::kReturn;
}

// A new Task running the coroutine on the runtime's pool, in parallel
// with the caller.
NativeStatus task_spawn_pool(NativeCall& call) {
  rt::Thread& t = *call.thread;
  if (!rt::impl_of(t).pool_tasks().spawn(t, call.args[0], &call.result)) return thrown_by(call);
  return NativeStatus::kReturn;
}

// Sleeps until a pool task has finished: its result, or its exception
// thrown here.
NativeStatus task_wait(NativeCall& call) {
  if (!call.types.tasks().is_task(*call.args[0])) {
    return wrong_argument(call, "task_wait", 0, "a Task");
  }
  rt::Thread& t = *call.thread;
  // On a pool worker whatever the Task's state: whether a misuse raises
  // must not depend on which of two threads ran first.
  if (Actors::worker_thread() == &t) {
    return raise(call, "ValueError",
                 "task_wait on a pool worker (a pool task or an actor's behaviour) would hold "
                 "the worker: AWAIT the task");
  }
  const Value task = *call.args[0];
  if (types::Tasks::status(task) == types::Tasks::Status::kPending) {
    if (!types::Tasks::pooled(task)) {
      return raise(call, "ValueError",
                   "task_wait: the Task runs on a thread's scheduler (task_spawn): AWAIT it, "
                   "or spawn it with task_spawn_pool");
    }
    rt::impl_of(t).pool_tasks().wait(t, call.args[0]);
  }
  const Value done = *call.args[0];
  if (types::Tasks::status(done) == types::Tasks::Status::kReturned) {
    call.result = types::Tasks::result(done);  // nothing included
    return NativeStatus::kReturn;
  }
  call.thrown = types::Tasks::result(done);
  return NativeStatus::kThrow;
}

// Asks a task to stop: its next AWAIT that would wait throws Cancelled.
// Whether it was still pending.
NativeStatus task_cancel(NativeCall& call) {
  if (!call.types.tasks().is_task(*call.args[0])) {
    return wrong_argument(call, "task_cancel", 0, "a Task");
  }
  if (types::Tasks::pooled(*call.args[0])) {
    const bool pending = rt::impl_of(*call.thread).pool_tasks().cancel(*call.args[0]);
    call.result = pending ? types::kTrue : types::kFalse;
    return NativeStatus::kReturn;
  }
  switch (Scheduler::of(*call.thread).cancel(*call.args[0])) {
    case Scheduler::Cancel::kCancelled:
      call.result = types::kTrue;
      return NativeStatus::kReturn;
    case Scheduler::Cancel::kFinished:
      call.result = types::kFalse;
      return NativeStatus::kReturn;
    case Scheduler::Cancel::kOtherThread:
      break;
  }
  return raise(call, "ValueError", "task_cancel: the Task belongs to another thread");
}

// Runs the coroutine to its end, with every task it spawns: its result.
NativeStatus task_run(NativeCall& call) {
  if (!Scheduler::of(*call.thread).run(call.args[0], &call.result)) return thrown_by(call);
  return NativeStatus::kReturn;
}

// A Timer that AWAIT waits on for `ms` milliseconds from now (none when
// negative).
NativeStatus task_sleep(NativeCall& call) {
  NativeStatus failed{};
  const auto ms = int_arg(call, "task_sleep", 0, &failed);
  if (!ms) return failed;
  constexpr std::int64_t kNsPerMs = 1000000;
  constexpr std::int64_t kLongest =
      std::numeric_limits<std::int64_t>::max() / 4 / kNsPerMs;  // no overflow
  const std::int64_t wait = *ms < 0 ? 0 : (*ms > kLongest ? kLongest : *ms) * kNsPerMs;
  return return_value(call, call.types.tasks().make_timer(call.m, types::Tasks::TimerKind::kSleep,
                                                          Scheduler::now() + wait));
}

// A Timer whose AWAIT lets every task already ready run first.
NativeStatus task_yield(NativeCall& call) {
  return return_value(call,
                      call.types.tasks().make_timer(call.m, types::Tasks::TimerKind::kYield, 0));
}

// Continues a generator with `value` as the result of the YIELD it stopped
// at (ITER_NEXT sends nothing): the next value it yields. A generator
// that returns or is finished raises ValueError; its exceptions pass.
NativeStatus generator_send(NativeCall& call) {
  if (!call.types.suspensions().is_generator(*call.args[0])) {
    return wrong_argument(call, "generator_send", 0, "a Generator");
  }
  switch (rt::ops::resume(*call.thread, call.args[0], call.args[1], &call.result)) {
    case rt::ops::Resumed::kSuspended:
      return NativeStatus::kReturn;
    case rt::ops::Resumed::kReturned:
      return raise(call, "ValueError", "generator_send: the generator has finished");
    case rt::ops::Resumed::kThrew:
      break;
  }
  return thrown_by(call);
}

// The thread dump (Runtime::dump) as a String: every thread's stack and
// tasks, as `runa run` prints on SIGQUIT.
NativeStatus runtime_dump(NativeCall& call) {
  return return_text(call, call.thread->runtime->dump(call.m));
}

}  // namespace

void add_task_natives(Natives& natives) {
  natives.add("runtime_dump", 0, runtime_dump);
  natives.add("generator_send", 2, generator_send);
  natives.add("task_spawn", 1, task_spawn);
  natives.add("task_spawn_pool", 1, task_spawn_pool);
  natives.add("task_wait", 1, task_wait);
  natives.add("task_run", 1, task_run);
  natives.add("task_cancel", 1, task_cancel);
  natives.add("task_sleep", 1, task_sleep);
  natives.add("task_yield", 0, task_yield);
}

}  // namespace runa::bridge
