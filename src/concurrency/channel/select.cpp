#include "concurrency/channel/select.hpp"

#include <atomic>

namespace runa::concurrency {
namespace {

thread_local std::uint64_t rng = 0x2545F4914F6CDD1DULL;  // xorshift64

bool done(QueueStatus s) {
  return s == QueueStatus::kOk || s == QueueStatus::kClosed;
}

// One pass over the cases from `start`; the index performed, or -1.
int attempt_all(std::span<const SelectCase> cases, std::size_t start, QueueStatus& status) {
  for (std::size_t k = 0; k < cases.size(); ++k) {
    std::size_t i = (start + k) % cases.size();
    status = cases[i].attempt(cases[i].channel, cases[i].item);
    if (done(status)) return static_cast<int>(i);
  }
  return -1;
}

// Leaves every list; absorbs a claim that raced with leaving and passes it
// on if it came from another case than `performed`.
void leave(std::span<const SelectCase> cases, Waiter& w, int performed) {
  for (const SelectCase& c : cases) c.list->remove(&w);
  int claimed = w.selected.load(std::memory_order_acquire);
  if (claimed == Waiter::kNone) return;
  w.parker.park();  // the claimer's unpark is on its way
  if (claimed != performed) cases[static_cast<std::size_t>(claimed)].list->notify_one();
  w.selected.store(Waiter::kNone, std::memory_order_relaxed);
}

}  // namespace

std::size_t random_start(std::size_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return static_cast<std::size_t>(rng % n);
}

SelectResult select(std::span<const SelectCase> cases, std::optional<Clock::time_point> deadline) {
  if (cases.empty()) return {};
  std::size_t start = random_start(cases.size());
  QueueStatus status = QueueStatus::kEmpty;
  if (int i = attempt_all(cases, start, status); i >= 0) return {i, status};
  Waiter w;
  for (;;) {
    for (std::size_t i = 0; i < cases.size(); ++i) cases[i].list->add(&w, static_cast<int>(i));
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (int i = attempt_all(cases, start, status); i >= 0) {
      leave(cases, w, i);
      return {i, status};
    }
    if (!w.parker.park(deadline)) {
      leave(cases, w, -1);
      return {};
    }
    // Claimed by one case, which took us off its list: leave the others
    // and try again, that case first.
    int claimed = w.selected.load(std::memory_order_acquire);
    for (const SelectCase& c : cases) c.list->remove(&w);
    w.selected.store(Waiter::kNone, std::memory_order_relaxed);
    start = static_cast<std::size_t>(claimed);
    if (int i = attempt_all(cases, start, status); i >= 0) {
      if (i != claimed) cases[static_cast<std::size_t>(claimed)].list->notify_one();
      return {i, status};
    }
  }
}

}  // namespace runa::concurrency
