#include "concurrency/pool/pool.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <string_view>
#include <utility>

#include "concurrency/blocking.hpp"
#include "concurrency/spin_wait.hpp"

namespace runa::concurrency {
namespace {

unsigned default_workers() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    return std::max(1, CPU_COUNT(&set));
  }
  return std::max(1U, std::thread::hardware_concurrency());
}

// Jobs a thief takes at most besides the one it runs.
constexpr std::size_t kStealBatch = 32;

// Jobs a worker takes from the injector at most at once (the first it
// runs, the others go to its deque).
constexpr std::size_t kInjectBatch = 64;

// Sharing that does not pay (pool.hpp): an ask whose work kept the asker
// busy for less than kFruitfulShare missed; after n misses in a row the
// worker asks again only kAskBackoff << (n - 1) later, at most
// kAskBackoff << (kMaxShareMisses - 1) (6.4 ms).
constexpr auto kFruitfulShare = std::chrono::microseconds(50);
constexpr auto kAskBackoff = std::chrono::microseconds(100);
constexpr unsigned kMaxShareMisses = 7;

// xorshift64*: cheap, and good enough to spread thieves over victims.
unsigned next_random(std::uint64_t& s, unsigned bound) {
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return static_cast<unsigned>(((s * 0x2545F4914F6CDD1DULL) >> 32) % bound);
}

}  // namespace

Pool::Pool(PoolOptions options)
    : options_(std::move(options)),
      sleep_(options_.workers == 0 ? default_workers() : options_.workers) {
  unsigned n = options_.workers == 0 ? default_workers() : options_.workers;
  workers_.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(*this, i, options_.deque_capacity));
    workers_.back()->rng = 0x9E3779B97F4A7C15ULL * (i + 1);
  }
  threads_.reserve(n);
  for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this, i] { main(i); });
}

Pool::~Pool() {
  stopping_.store(true, std::memory_order_seq_cst);
  sleep_.wake_all();
  for (std::thread& t : threads_) t.join();
}

int Pool::worker_index() const {
  Worker* w = current_;
  return w != nullptr && &w->pool == this ? static_cast<int>(w->index) : -1;
}

void Pool::submit(Job* job) {
  Worker* w = current_;
  if (w != nullptr && &w->pool == this) {
    push_visible(*w, job);
    return;
  }
  injector_.push(job);
  sleep_.notify();
}

void Pool::push_visible(Worker& w, Job* job) {
  if (!w.deque.push(job)) w.pool.spill(w, job);
  w.pool.sleep_.notify();
}

void Pool::spill(Worker& w, Job* job) {
  Job* first = nullptr;
  Job* last = nullptr;
  std::size_t n = w.deque.take_oldest(w.deque.capacity() / 2, [&](Job* j) {
    (last == nullptr ? first : last->next) = j;
    last = j;
  });
  (last == nullptr ? first : last->next) = job;
  injector_.push_chain(first, job, n + 1);
}

Job* Pool::take_injected(Worker& w) {
  std::size_t most = std::min({injector_.size() / workers_.size() + 1, kInjectBatch,
                               std::max<std::size_t>(w.deque.capacity() / 2, 1)});
  Job* first = injector_.pop_batch(most);
  if (first == nullptr || first->next == nullptr) return first;
  // The rest go onto the deque newest first, so that this worker pops them
  // in the order they were queued.
  std::array<Job*, kInjectBatch> rest{};
  std::size_t n = 0;
  for (Job* j = first->next; j != nullptr; j = j->next) rest[n++] = j;
  while (n > 0) {
    Job* j = rest[--n];
    // The callers found the deque empty and a batch is at most half of
    // it, so this push succeeds; were it refused, the job goes back.
    if (!w.deque.push(j)) injector_.push(j);
  }
  sleep_.notify();  // rule 1: jobs made visible on the deque
  return first;
}

void Pool::submit_last(Job* job) {
  injector_.push(job);
  sleep_.notify();
}

void Pool::submit_next(Job* job) {
  Worker* w = current_;
  if (w == nullptr || &w->pool != this) {
    submit(job);
    return;
  }
  w->next[w->next_tail++ % kNextJobs] = job;
  // Full (one slot is kept free, so that the job is stored before the
  // check, and the rare push-out is the last call: a spawn of an actor
  // per message costs no saved registers here).
  if (w->next_tail - w->next_head == kNextJobs) [[unlikely]] {
    push_visible(*w, w->next[w->next_head++ % kNextJobs]);  // the oldest
  }
}

Job* Pool::take_next(Worker& w) {
  if (++w.next_streak >= kNextStreak) {
    w.next_streak = 0;
    // Streak spent: one job waiting elsewhere goes first, if there is one.
    // The queue keeps its jobs: moving one out (as the one-job slot did)
    // showed it to the thieves, and a woken job that moves to another
    // core takes its conversation with it.
    if (auto job = w.deque.pop()) return *job;
    if (Job* job = w.pool.take_injected(w)) return job;
    // take_injected may have waited for the injector's lock, and a worker
    // that waits hands its queue to its deque (flush_next, the block hook):
    // the queue may be empty now, its jobs on the deque.
    if (!w.has_next()) return w.deque.pop().value_or(nullptr);
  }
  assert(w.has_next());  // taken from an empty queue: a stale slot, and the next job lost
  Job* job = w.next[w.next_head++ % kNextJobs];
  // Asked to share: the rest goes where the worker that asked sees it.
  if (w.has_next() && w.share_asked.load(std::memory_order_relaxed)) flush_next(&w);
  return job;
}

void Pool::flush_next(void* worker) {
  auto& w = *static_cast<Worker*>(worker);
  if (!w.has_next()) return;
  // Answered. A request meets an empty queue only here (before blocking);
  // it stays pending then, for the jobs this worker queues next.
  if (w.share_asked.load(std::memory_order_relaxed)) {
    w.share_asked.store(false, std::memory_order_relaxed);
  }
  Pool& p = w.pool;
  while (w.has_next()) {
    Job* job = w.next[w.next_head++ % kNextJobs];
    if (!w.deque.push(job)) p.spill(w, job);
  }
  p.sleep_.notify();  // rule 1: jobs made visible
}

void Pool::ask_to_share(Worker& w, Clock::time_point now) {
  if (now < w.ask_from) return;
  w.judging = true;
  w.busy_from = {};
  for (const std::unique_ptr<Worker>& other : workers_) {
    // Read first: a request already pending costs its owner no line.
    if (other.get() != &w && !other->share_asked.load(std::memory_order_relaxed)) {
      other->share_asked.store(true, std::memory_order_relaxed);
    }
  }
}

void Pool::judge_share(Worker& w) {
  w.judging = false;
  const Clock::time_point now = Clock::now();
  if (now - w.busy_from >= kFruitfulShare) {
    w.share_misses = 0;
    w.ask_from = {};
    return;
  }
  w.share_misses = std::min(w.share_misses + 1, kMaxShareMisses);
  w.ask_from = now + kAskBackoff * (1U << (w.share_misses - 1));
}

void Pool::park_idle(Worker& w) {
  // Backing off, and skipped asking while others work: nothing would wake
  // this worker when asking is due again, so it wakes itself then.
  if (w.share_misses > 0 && sleep_.idle() < workers_.size() && Clock::now() < w.ask_from) {
    if (!sleep_.park(w.index, w.ask_from) && !sleep_.cancel(w.index)) {
      sleep_.park(w.index);  // a waker took it off the list: its permit is coming
    }
    return;
  }
  // All idle: whatever comes next is new work, judged afresh.
  if (sleep_.idle() == workers_.size()) {
    w.share_misses = 0;
    w.ask_from = {};
  }
  sleep_.park(w.index);
}

bool Pool::work_visible() const {
  if (!injector_.empty()) return true;
  return std::any_of(workers_.begin(), workers_.end(),
                     [](const std::unique_ptr<Worker>& w) { return !w->deque.empty(); });
}

Job* Pool::steal(Worker& w) {
  auto n = static_cast<unsigned>(workers_.size());
  if (n == 1) return nullptr;
  unsigned start = next_random(w.rng, n);
  for (unsigned round = 0; round < 2; ++round) {
    for (unsigned k = 0; k < n; ++k) {
      unsigned v = (start + k) % n;
      if (v == w.index) continue;
      WorkDeque<Job*>& victim = workers_[v]->deque;
      auto job = victim.steal();
      if (!job) continue;
      // Take up to half of what is left too (Go's runqsteal takes half):
      // a thief that came back for every job would toggle its searching
      // state (sleep.hpp) per job, and the spawner reads that state on
      // every push. The extra jobs go to the thief's own deque, where
      // others may steal them in turn.
      for (std::size_t more = std::min<std::size_t>(victim.size() / 2, kStealBatch); more > 0;
           --more) {
        auto extra = victim.steal();
        if (!extra || !w.deque.push(*extra)) {
          if (extra) injector_.push(*extra);
          break;
        }
      }
      return *job;
    }
  }
  return nullptr;
}

Job* Pool::find_work(Worker& w) {
  if (Job* job = take_injected(w)) return job;
  return steal(w);
}

Job* Pool::spin(Worker& w) {
  if (options_.spin.count() <= 0) {
    ask_to_share(w, Clock::now());  // no spin: ask before sleeping ("The next queue")
    return nullptr;
  }
  if (!sleep_.begin_spin()) return nullptr;
  Job* job = nullptr;
  const auto start = Clock::now();
  const auto ask_at = start + options_.spin / 2;
  const auto deadline = start + options_.spin;
  bool asked = false;
  unsigned pauses = 1;
  while (!stopping_.load(std::memory_order_relaxed)) {
    for (unsigned i = 0; i < pauses; ++i) cpu_relax();
    pauses = std::min(pauses * 2, 64U);
    if ((job = find_work(w)) != nullptr) break;
    poll_safepoint();  // the spin is short, but a collection need not wait for it
    const auto now = Clock::now();
    if (!asked && now >= ask_at) {
      // Half the spin without work: what other workers queued privately
      // had better run here ("The next queue").
      ask_to_share(w, now);
      asked = true;
    }
    if (now >= deadline) break;
  }
  sleep_.end_spin();
  return job;
}

void Pool::run_job(Job* job) {
  job->execute(job);
  // Between two jobs: where a collection may stop this worker.
  poll_safepoint();
}

bool Pool::help_once(Worker& w) {
  Job* job = pop_local(w);
  if (job == nullptr) job = w.pool.find_work(w);
  if (job == nullptr) return false;
  run_job(job);
  return true;
}

void Pool::main(unsigned index) {
  Worker& w = *workers_[index];
  {
    std::string name = options_.name.substr(0, 10) + "-" + std::to_string(index);
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  }
  if (options_.on_start) options_.on_start(index);
  current_ = &w;
  set_block_hook(&flush_next, &w);
  for (;;) {
    Job* job = pop_local(w);
    if (job == nullptr) {
      if (!w.searching) {
        sleep_.start_searching();
        w.searching = true;
        if (w.judging && w.busy_from != Clock::time_point{}) judge_share(w);
      }
      job = find_work(w);
      if (job == nullptr) job = spin(w);
    }
    if (job != nullptr) {
      if (w.searching) {
        w.searching = false;
        sleep_.stop_searching(true);
        if (w.judging && w.busy_from == Clock::time_point{}) w.busy_from = Clock::now();
      }
      run_job(job);
      continue;
    }
    // Nothing anywhere. Leave if the pool stops; otherwise go idle (rule 3
    // of sleep.hpp): list, stop searching, look once more, then sleep.
    if (stopping_.load(std::memory_order_seq_cst)) {
      sleep_.stop_searching(false);
      w.searching = false;
      break;
    }
    sleep_.announce(index);
    if (work_visible() || stopping_.load(std::memory_order_seq_cst)) {
      if (!sleep_.cancel(index)) sleep_.park(index);  // a waker's permit is coming
      continue;                                       // searching again either way
    }
    park_idle(w);
  }
  set_block_hook(nullptr, nullptr);
  current_ = nullptr;
  if (options_.on_stop) options_.on_stop(index);
}

}  // namespace runa::concurrency
