// LoopDriver: see loop_driver.hpp for the funnel's invariants.
#include "io/loop_driver.hpp"

#include <cassert>

namespace runa::io {

LoopDriver::~LoopDriver() {
  assert(inbox_.load(std::memory_order_acquire) == nullptr && "a Post outlived its await");
}

void LoopDriver::post(Post& p) {
  Post* head = inbox_.load(std::memory_order_relaxed);
  do {
    p.next = head;
  } while (!inbox_.compare_exchange_weak(head, &p, std::memory_order_release,
                                         std::memory_order_relaxed));
  if (head == nullptr) loop_.wake();
}

void LoopDriver::run_posts() {
  Post* taken = inbox_.exchange(nullptr, std::memory_order_acquire);
  // The stack holds the newest first: reverse it so Posts run in order.
  Post* ordered = nullptr;
  while (taken != nullptr) {
    Post* next = taken->next;
    taken->next = ordered;
    ordered = taken;
    taken = next;
  }
  while (ordered != nullptr) {
    Post* p = ordered;
    ordered = p->next;  // before run: it may end the await that owns p
    p->run(p->ctx);
  }
}

void LoopDriver::wait(std::optional<std::chrono::nanoseconds> timeout) {
  run_posts();
  loop_.wait(timeout);
}

}  // namespace runa::io
