// The task scheduler of one thread: it runs the tasks of a program's async
// functions (docs/bytecode.md §2.5.8), as asyncio's event loop or a
// single-threaded Tokio runtime does.
//
// The model is Rust's: a coroutine is polled. Polling a task resumes its
// coroutine (ops::resume); an AWAIT of another coroutine resumes that one
// in turn, so a chain of awaits is continued from its root at each poll.
// At the bottom of a chain that must wait sits a leaf — a Task not
// finished yet, a sleep's Timer, a yield — and the AWAIT of the leaf
// registers the task being polled (current()) to be woken by it: in the
// awaited task's waiters, in the timer queue, or at the back of the ready
// queue. Then every frame of the chain suspends at its AWAIT, which runs
// again at the next poll.
//
// Invariants:
//   - A pending task has a record here, whose persistent slot keeps the
//     Task object (and through it the coroutine and every saved frame of
//     its chain) alive; the record goes when the task finishes.
//   - Timers, waiter lists and the ready queue name tasks by number, never
//     by pointer: a number whose task has finished is skipped. So a wake-up
//     that comes late (a cancelled task's timer, the end of a task it no
//     longer waits for) is harmless: at worst a spurious poll, whose AWAIT
//     finds its awaitable not ready and registers again. `queued` keeps a
//     task in the ready queue once.
//   - Cancellation is cooperative: task_cancel marks the task and wakes
//     it; the first AWAIT that would wait then throws Cancelled instead
//     (once: a task that catches it goes on).
//   - Everything here belongs to the thread, but for the inbox: no locks. A
//     Task of another thread's scheduler cannot be awaited (ValueError); a
//     Task of the runtime's pool can (pool_tasks.hpp): the task registers
//     in the pool task's joiners, and its end posts the task's number to
//     this scheduler's inbox. The inbox is shared with those registrations
//     and closed when the scheduler goes, so a late post finds it closed.
//   - The task being polled (current()) may be a pool task that a pool
//     worker's thread is polling (owner null): AWAIT's registrations go
//     through the static functions below, which send a pool task's to the
//     pool (pool_tasks.hpp) and a local task's to its scheduler.
//   - A task awaiting a ChannelOp or a ChannelSelect (channels.hpp) that
//     cannot proceed sits in the WaitList of each case
//     (concurrency/channel/waiter.hpp) with the one Waiter of its record;
//     a task awaiting an Ask (actor_asks.cpp), in the list of the ask's
//     answer, or in the actor's `room` list while its message waits for
//     room in a full mailbox. A claim comes from any thread, under the list's lock, and
//     only posts the task's number to the inbox (a mutex, and a Parker the
//     idle scheduler sleeps on); the scheduler alone moves it
//     to the ready queue. So a wake-up of a task whose scheduler is running
//     another task only waits in the inbox until its next turn.
//   - Every poll starts by taking the task out of its list (after which no
//     claim can reach it, so the record may go). The poll's first attempt
//     of the ChannelOp acts on a claim that came, whatever it finds (a
//     value taken by another first is gone; passing that claim on would
//     wake the waiters in turn forever: a livelock the stress tests hit).
//     That first attempt starts at the claimed case of a select, so the
//     claim is acted on by trying what it announced (another case that
//     proceeds after it found nothing does not need it).
//     A claim that came between registering and the retry, when the retry
//     proceeded, is passed on (notify_one on that list) when the poll
//     ends, so the value or room it announced still wakes another waiter;
//     so is the claim of a task the scheduler drops unpolled.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "concurrency/channel/waiter.hpp"
#include "concurrency/sync/mutex.hpp"
#include "concurrency/sync/parker.hpp"
#include "runatime/ops.hpp"
#include "runatime/runtime.hpp"

namespace runa::bridge {

using heap::Value;

class Scheduler;

// A task's wait in WaitLists: one ChannelOp's list, one per case of a
// ChannelSelect, or an Ask's (at most one wait at a time). The Waiter sits in every
// list with the position of its case as tag, so a claim says which case
// may proceed; the Waiter's CAS lets one claim through, whichever list
// makes it.
struct ChannelWait {
  concurrency::Waiter waiter;
  // While waiting: lists[i] the list case i waits in (null: a case left
  // out). The awaitable on the task's operand stack keeps each alive.
  std::vector<concurrency::WaitList*> lists;
  concurrency::WaitList* unused_claim = nullptr;  // claimed by it, not acted on yet
  std::uint64_t claimed = 0;                      // the case of unused_claim
};

// A pending task: a local one (its scheduler's), or a pool task
// (pool_tasks.hpp, a PoolTask), whose owner is null.
struct TaskRecord {
  enum class Wait : std::uint8_t { kReady, kTask, kPoolTask, kTimer, kChannel, kAsk, kRoom };
  Scheduler* owner = nullptr;
  std::uint64_t number = 0;  // 1, 2, ... in the order spawned on this thread (or the pool)
  heap::Persistent task;
  std::vector<std::uint64_t> waiters;  // local tasks whose AWAIT waits on this one
  bool queued = false;
  // task_cancel: its next waiting AWAIT throws Cancelled (set from any
  // thread for a pool task).
  std::atomic<bool> cancelled{false};
  Wait wait = Wait::kReady;   // what it waits on (dumps)
  std::int64_t deadline = 0;  // kTimer: when
  ChannelWait channel;
};

// Where a scheduler's wake-ups from other threads arrive: task numbers,
// and the Parker its idle thread sleeps on. Shared with the pool tasks'
// joiners that name one of its tasks; closed (posts dropped) once the
// scheduler is gone.
struct Inbox {
  concurrency::Mutex mu;
  std::vector<std::uint64_t> numbers;  // posted (mu)
  bool closed = false;                 // mu
  std::atomic<bool> posted{false};     // numbers may be non-empty
  concurrency::Parker parker;
  // From any thread: queues task `number` at the scheduler's next turn.
  void post(std::uint64_t number);
};

class Scheduler {
 public:
  explicit Scheduler(rt::Thread& t) : t_(t) {}
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  Scheduler(Scheduler&&) = delete;
  Scheduler& operator=(Scheduler&&) = delete;
  // Takes every pending task out of the channel it waits on.
  ~Scheduler();
  // The thread's scheduler, made at its first use; freed at detach.
  static Scheduler& of(rt::Thread& t);
  static void release(rt::Thread& t);

  // task_spawn: a new pending Task of the Coroutine in *coroutine, queued
  // to run. False after raising. MAY COLLECT.
  bool spawn(Value* coroutine, Value* out);
  // task_run and an ASYNC main: runs the Coroutine in *coroutine as a task
  // until it finishes, the other tasks meanwhile: its result in *out, or
  // false when it threw (also a deadlock: ValueError). MAY COLLECT.
  bool run(Value* coroutine, Value* out);

  // What AWAIT of a leaf registers: the task being polled on this thread
  // (nullptr when none is; a pool task on a pool worker), woken by the end
  // of `awaited` (a local task of the same scheduler), at `deadline`
  // (monotonic nanoseconds), or at once behind the tasks already ready.
  [[nodiscard]] TaskRecord* current() const { return current_; }
  static void wait_for(TaskRecord* awaited, TaskRecord* waiter);
  static void wake_at(TaskRecord* r, std::int64_t deadline);
  static void ready_again(TaskRecord* r);
  // AWAIT of a ChannelOp or ChannelSelect none of whose cases can
  // proceed: registers the task being polled in every list (lists[i] is
  // case i's, null for a case left out), then fences (the caller retries
  // once after: the register-then-retry rule of waiter.hpp).
  static void wait_on(TaskRecord* r, std::vector<concurrency::WaitList*> lists);
  // Takes the task out of the lists it waits in, if any; a claim that
  // came is kept in unused_claim (and its case in `claimed`).
  static void leave(TaskRecord* r);
  // A claim that came and was not acted on goes to the list's next waiter.
  static void pass_on(TaskRecord* r);
  // A poll's resume of r's coroutine on t (a local task on its thread, a
  // pool task on a worker), r being t's current task meanwhile: r first
  // leaves the lists it waits in, and a claim it did not act on is passed
  // on after. `done` false: it suspended; else it returned `value`, or
  // threw `value` with `trace` (taken off t). Raw values, valid until the
  // next allocation. MAY COLLECT.
  struct Step {
    bool done = false;
    bool threw = false;
    Value value = types::kNothing;
    Value trace = types::kNothing;
  };
  static Step step(rt::Thread& t, TaskRecord* r);
  // A local task, woken by the end of a pool task (pool_tasks.hpp).
  [[nodiscard]] const std::shared_ptr<Inbox>& inbox() const { return inbox_; }
  // task_cancel: marks a pending task of this thread and wakes it.
  enum class Cancel : std::uint8_t { kCancelled, kFinished, kOtherThread };
  Cancel cancel(Value task);

  static std::int64_t now();

  // One line per pending task, in spawn order: its coroutine's function,
  // where it stands, what it waits on (dumps: the world is stopped, so
  // any thread may call it). Never collects.
  void describe(std::string& out) const;
  // The line of one task (`running`: being polled), for this and the pool.
  static void describe(const rt::ops::Shapes& shapes, const TaskRecord& r, bool running,
                       std::string& out);

 private:
  TaskRecord* add(Value task);
  void wake(TaskRecord* r);
  void poll(TaskRecord* r);
  void finish(TaskRecord* r, bool threw, Value result, Value trace);
  void fire_timers();
  // Whether a pending task waits on a pool task (no deadlock: the pool
  // may end it).
  [[nodiscard]] bool waits_on_pool() const;
  // From any thread, under a WaitList's lock: queues the task at the
  // scheduler's next turn.
  static void post(void* record);
  void take_posted();
  // Nothing ready: sleeps until a post or the next timer. MAY COLLECT.
  void idle();

  struct Timer {
    std::int64_t deadline;
    std::uint64_t seq;  // equal deadlines fire in the order armed
    std::uint64_t task;
    bool operator>(const Timer& o) const {
      return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
    }
  };

  rt::Thread& t_;
  TaskRecord* find(std::uint64_t number) const;

  std::unordered_map<std::uint64_t, std::unique_ptr<TaskRecord>> records_;  // pending, by number
  std::deque<std::uint64_t> ready_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::uint64_t seq_ = 0;
  std::uint64_t spawned_ = 0;
  TaskRecord* current_ = nullptr;
  std::size_t channel_waits_ = 0;  // tasks registered in a WaitList

  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
};

}  // namespace runa::bridge
