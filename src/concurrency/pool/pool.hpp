// Pool: the work-stealing thread pool — one Chase-Lev deque per worker
// (work_deque.hpp), a global injection queue (injector.hpp), randomised
// stealing, and the sleep protocol of sleep.hpp for idle workers.
//
// Scheduling. A worker pops its own deque (LIFO: the job it pushed last is
// hot in its cache, and in a divide-and-conquer the smallest piece); when it
// is empty it takes from the injector, then steals (FIFO: the oldest job of
// a victim is the largest piece of its work) from the other workers,
// starting at a random one, twice round; when all that fails it sleeps.
// Jobs submitted on a worker of this pool go to its own deque (or the
// injector when that is full); from any other thread, to the injector.
//
// The next queue. submit_next() on a worker puts the job at the back of
// that worker's private FIFO of up to kNextJobs - 1 jobs, which it runs before
// anything else, with no notify: a message that makes an actor runnable
// usually ends the sender's turn soon after, and running the receiver on
// the same worker (its mailbox still in this cache) costs no wake-up and
// no cache line moving between cores. Go's runnext and Tokio's LIFO slot
// do the same with one job; here a turn may wake many (Savina's chameneos:
// one mall actor wakes a creature every other message, 32 per turn), and
// a single slot pushed all but the last of them onto the deque, where the
// idle worker stole them, so that nearly every message crossed between the
// cores. The queue is this worker's alone (no thief sees it), so:
//  - a job pushed out of a full queue (the oldest) goes to the deque, with
//    a notify (rule 1 of sleep.hpp): that one is visible work again;
//  - before its thread blocks (any BlockingRegion: a lock, a latch, a
//    channel, I/O) a worker hands the whole queue to the deque the same way
//    (flush_next), so a job that waits for one it scheduled cannot
//    deadlock, and work never waits behind a blocked thread. That includes
//    the pool's own locks (the injector's, the sleepers'): a worker inside
//    the pool's code that waits for one hands its queue over too, so that
//    code must not count on the queue across a call that may lock. The one
//    place that did, take_next looking in the injector with its streak
//    spent, then took the front of an empty queue: a stale slot, and the
//    next job queued was counted as taken and lost — the hang of Savina's
//    chameneos on a quiet machine
//    (NextSlot.AStreakThatWaitsForTheInjectorFindsItsQueueHandedOver);
//  - a worker never sleeps with jobs queued there (pop_local looks there
//    first), which is why the queue needs no part in the sleep protocol;
//  - sharing on request: the queued jobs wait for the running job to end,
//    and for each other. A worker that has looked for work for half its
//    spin (with no spin: before it sleeps) asks every other worker to
//    share (share_asked); a worker that sees the request between two
//    messages of an actor's turn (share_next_if_asked) moves its queue to
//    its deque with a notify, and between two jobs (take_next) all of it
//    but the job it takes to run. So a queued job waits at most for the
//    message or job running when an idle worker asked, where the one-job
//    slot shared before every second message of a turn. Between jobs the
//    worker keeps one: sharing its only job would move a chain of jobs
//    (Savina's thread-ring: a token passed round 503 actors) to the idle
//    core and back, a wake-up each time, for no parallelism. The request
//    stays pending until it is answered with jobs: cleared when it met an
//    empty queue (flush_next before blocking), it would be lost for the
//    jobs queued after, while the worker that asked sleeps and asks no
//    more; those jobs would wait for a whole turn, or for each other. The
//    request is a hint, read and written relaxed: missed or stale, it
//    changes only where the jobs run, never whether they run (the rules
//    above keep them from being stranded);
//  - fairness: after kNextStreak jobs in a row taken from the queue, one
//    job waiting in the deque or the injector goes first (two actors in
//    ping-pong cannot starve a worker's other jobs; alone, they keep the
//    worker).
//
// Spinning. A searcher that finds nothing anywhere looks again for a
// while (PoolOptions::spin, tens of microseconds, with growing pauses) before it
// goes idle, and at most one worker spins at a time. While it spins it
// still counts as searching, so a job pushed meanwhile costs its pusher no
// wake-up (rule 1 of sleep.hpp) and the spinner takes it within a pause.
// Why: on a virtual machine an idle vCPU halts, and waking a worker means
// a futex wake plus the hypervisor waking that vCPU, tens of microseconds
// each time; programs that hand work back and forth between two workers
// (actors, a spawner and its thief) paid that per hand-off. Go keeps a
// spinning M for the same reason. The spin is bounded, so an idle pool
// still sleeps; it polls a safepoint every round, so a collection never
// waits for it; and it counts as searching, so rule 3's last look before
// sleeping stays the only guard against a lost wake-up.
//
// Sharing that does not pay. A share moves queued jobs to another core,
// and with them the messages they send and the cache lines they touch.
// When the jobs are many and long that buys parallelism; when they are a
// few short ones that send straight back to an actor on the sharer's core
// (Savina's chameneos: creatures that each send one message to the mall),
// it buys none, and every message then crosses between the cores. What a
// crossing costs depends on where the host puts the two vCPUs: on this
// project's VM a cache line's round trip between them took 100-130 ns in
// some minutes and 450-520 ns in others, and chameneos with sharing took
// 0.03 s in the first case and 0.07-0.12 s in the second, against 0.025 s
// with no sharing in either. So a worker judges its own asks: the first
// job it finds after asking starts a busy period, and the next time it
// runs out of work the period ends (judge_share); one shorter than
// kFruitfulShare (50 us, the spin) is a miss. After n misses in a row it
// asks again only kAskBackoff << (n - 1) later (100 us up to 6.4 ms); a
// busy period that was long resets it. A worker that parks while backing
// off, having skipped its ask, parks only until asking is due again
// (nothing else would wake it to ask: the work it could take is in
// another worker's private queue), unless every worker is idle: then what
// comes next is new work, announced by a notify, and judged afresh.
// A missed ask costs the program at most one backoff's worth of
// parallelism when its work changes from short to long.
//
// Fork-join (join.hpp) and task groups (task_group.hpp) wait without
// blocking a worker: a worker whose child job was stolen runs other jobs
// until the child's latch is set, and sleeps on the latch only when there is
// nothing to run. Code outside the pool that waits (run(), join() from a
// plain thread) sleeps on a latch.
//
// The heap. The runtime makes every worker a mutator (attached in
// PoolOptions::on_start, detached in on_stop), so jobs may touch the heap.
// A worker sleeping on its Parker or a latch does so in a BlockingRegion, so
// idle workers never delay a collection; between two jobs a worker polls a
// safepoint (poll_safepoint), so a stream of short jobs that never poll
// themselves cannot hold one up either. A job that runs long must poll as
// any mutator code does.
//
// Shutdown. ~Pool() lets every job submitted before it run (workers leave
// only when they find no job anywhere), then joins the workers. A job must
// not submit work after the destructor has started.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "concurrency/pool/injector.hpp"
#include "concurrency/pool/job.hpp"
#include "concurrency/pool/job_cache.hpp"
#include "concurrency/pool/sleep.hpp"
#include "concurrency/sync/futex.hpp"
#include "concurrency/work_deque.hpp"

namespace runa::concurrency {

struct PoolOptions {
  unsigned workers = 0;  // 0: one per core the process may run on
  std::string name = "runa-pool";
  std::size_t deque_capacity = 8192;  // jobs per worker deque before the injector
  // How long a worker that found no job looks again before it sleeps
  // ("Spinning" above); zero: it sleeps at once.
  std::chrono::microseconds spin{50};
  // Run on each worker thread before its first job and after its last
  // (the runtime attaches and detaches the worker as a mutator here).
  std::function<void(unsigned index)> on_start{};
  std::function<void(unsigned index)> on_stop{};
};

class Pool {
 public:
  explicit Pool(PoolOptions options = {});
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  Pool(Pool&&) = delete;
  Pool& operator=(Pool&&) = delete;

  [[nodiscard]] unsigned size() const { return static_cast<unsigned>(workers_.size()); }

  // Queues `job` (any thread); it runs once on some worker.
  void submit(Job* job);
  // Queues it behind everything waiting (the injector, FIFO): for a job
  // that yields its turn.
  void submit_last(Job* job);
  // On a worker of this pool: `job` runs next on this worker (the next
  // slot, above); elsewhere, as submit(). For a job made runnable by the
  // running one (an actor that was sent a message).
  void submit_next(Job* job);

  // Runs f() on some worker, later; f must not throw (that terminates).
  template <class F>
  void spawn(F&& f) {
    submit(new (JobCache::allocate(sizeof(HeapJob<F>))) HeapJob<F>(std::forward<F>(f)));
  }

  // Runs f() on a worker of this pool and returns its result (or rethrows
  // its exception). On a worker of this pool, f runs right here; from
  // another thread, the caller sleeps until f is done (MAY COLLECT).
  template <class F>
  auto run(F&& f) -> std::invoke_result_t<F&> {
    if (on_worker()) return f();
    StackJob<F> job(f);
    submit(&job);
    job.done().wait();
    return job.take();
  }

  // The index of the calling thread among this pool's workers, or -1.
  [[nodiscard]] int worker_index() const;
  [[nodiscard]] bool on_worker() const { return worker_index() >= 0; }

  // --- for join.hpp and task_group.hpp: a worker's scheduling steps -------
  struct Worker;
  // The calling thread's worker, in any pool; nullptr on other threads.
  static Worker* current() { return current_; }
  // On a worker: pushes `job` where thieves can take it (false: the deque
  // is full and the job was not queued).
  static bool push_local(Worker& w, Job* job);
  // On a worker: whether push_local would refuse now (its deque is full).
  static bool local_full(Worker& w);
  // On a worker: the first job of its next queue (the others handed to
  // the deque if another worker asked), else the most recent job of its
  // deque.
  static Job* pop_local(Worker& w);
  // On a worker: runs a job it took, then polls a safepoint.
  static void run_job(Job* job);
  // On a worker of any pool: if another worker asked for work and the
  // next queue holds jobs, they go where other workers see them (a job
  // that runs on after filling the queue, as an actor's turn does between
  // messages, calls this). Nothing on other threads.
  static void share_next_if_asked();
  // On a worker: runs other jobs until `done()`, sleeping through
  // `sleep()` when there is none (sleep() returns when it may be worth
  // looking again). MAY COLLECT.
  template <class Done, class SleepFn>
  static void help_until(Worker& w, Done done, SleepFn sleep);

  // Snapshots for tests and dumps.
  [[nodiscard]] unsigned searching() const { return sleep_.searching(); }
  [[nodiscard]] unsigned idle() const { return sleep_.idle(); }
  // On a worker of any pool: whether another worker asked it to share its
  // next queue and it has not done so yet.
  static bool share_asked();
  // Slots of a worker's next queue: it holds one job fewer, and a job
  // queued beyond that pushes the oldest out to its deque.
  static constexpr unsigned kNextJobs = 256;
  // Jobs taken from the next queue in a row before other waiting work goes
  // first ("The next queue", fairness).
  static constexpr unsigned kNextStreak = 16;

 private:
  // A test holds the injector's lock while a worker waits for it
  // (tests/concurrency/pool/next_slot_test.cpp).
  friend struct PoolProbe;

  void main(unsigned index);
  Job* find_work(Worker& w);
  Job* steal(Worker& w);
  // A searcher that found nothing looks again for a while ("Spinning").
  Job* spin(Worker& w);
  [[nodiscard]] bool work_visible() const;
  // pop_local when the next queue holds a job: it, or (streak spent)
  // other work.
  static Job* take_next(Worker& w);
  // Moves the next queue's jobs where other workers see them (before
  // blocking, or asked to share).
  static void flush_next(void* worker);
  // A worker that has looked for work for a while asks the others to
  // share their next queues ("The next queue"), unless its asks are
  // backing off ("Sharing that does not pay").
  void ask_to_share(Worker& w, Clock::time_point now);
  // The end of the busy period an ask brought: was it worth asking?
  static void judge_share(Worker& w);
  // Parks an idle worker: until woken, or, when it skipped asking while
  // others work, until asking is due again.
  void park_idle(Worker& w);
  // On w's thread: queues job on w's deque (when it is full, the oldest
  // half of it and job go to the injector: spill) and notifies (rule 1 of
  // sleep.hpp).
  static void push_visible(Worker& w, Job* job);
  void spill(Worker& w, Job* job);
  // A batch from the injector: the oldest job, to run; the others onto w's
  // deque, with a notify. nullptr when the injector is empty.
  Job* take_injected(Worker& w);
  // One step of help_until: a job run (true) or none found.
  static bool help_once(Worker& w);

  // The calling thread's worker (a plain thread_local: one load, no guard).
  static inline constinit thread_local Worker* current_ = nullptr;

  PoolOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  Injector injector_;
  Sleep sleep_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

struct Pool::Worker {
  Worker(Pool& p, unsigned i, std::size_t capacity) : pool(p), index(i), deque(capacity) {}
  Pool& pool;
  unsigned index;
  WorkDeque<Job*> deque;
  std::uint64_t rng = 0;
  bool searching = false;
  // The next queue: this thread's only, a ring (next_head and next_tail
  // count jobs ever queued and taken; they differ by less than kNextJobs).
  std::array<Job*, kNextJobs> next{};
  unsigned next_head = 0;
  unsigned next_tail = 0;
  unsigned next_streak = 0;  // jobs taken from it in a row
  // Whether asking pays ("Sharing that does not pay"): this worker's
  // asks in a row that brought less than kFruitfulShare of work, the time
  // before which it asks no more, and, while an ask is being judged, when
  // the work it brought started (epoch: none yet).
  unsigned share_misses = 0;
  Clock::time_point ask_from{};
  bool judging = false;
  Clock::time_point busy_from{};
  [[nodiscard]] bool has_next() const { return next_head != next_tail; }
  // Set by other workers, cleared by this one when it shares (a hint:
  // relaxed both ways). On a line of its own: the owner reads it between
  // messages, and nobody writes it unless a worker is idle.
  alignas(64) std::atomic<bool> share_asked{false};
};

// Inline: a spawn calls these once per job.
inline bool Pool::push_local(Worker& w, Job* job) {
  if (!w.deque.push(job)) return false;
  w.pool.sleep_.notify();
  return true;
}

inline void Pool::share_next_if_asked() {
  Worker* w = current_;
  if (w != nullptr && w->has_next() && w->share_asked.load(std::memory_order_relaxed)) {
    flush_next(w);
  }
}

inline bool Pool::share_asked() {
  return current_ != nullptr && current_->share_asked.load(std::memory_order_relaxed);
}

inline bool Pool::local_full(Worker& w) {
  return w.deque.full();
}

inline Job* Pool::pop_local(Worker& w) {
  if (w.has_next()) return take_next(w);
  w.next_streak = 0;
  return w.deque.pop().value_or(nullptr);
}

template <class Done, class SleepFn>
void Pool::help_until(Worker& w, Done done, SleepFn sleep) {
  unsigned misses = 0;
  while (!done()) {
    if (help_once(w)) {
      misses = 0;
      continue;
    }
    // Nothing to run: the job we wait for runs elsewhere. Look a few more
    // times (it is likely short), then sleep until it is done.
    if (++misses < 16) {
      std::this_thread::yield();
      continue;
    }
    sleep();
    misses = 0;
  }
}

}  // namespace runa::concurrency
