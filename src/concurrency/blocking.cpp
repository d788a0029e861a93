#include "concurrency/blocking.hpp"

namespace runa::concurrency {
namespace {
thread_local const ThreadHooks* current = nullptr;
}  // namespace

void set_thread_hooks(const ThreadHooks* hooks) {
  current = hooks;
}

const ThreadHooks* thread_hooks() {
  return current;
}

void poll_safepoint() {
  if (current != nullptr && current->poll != nullptr) current->poll(current->ctx);
}

BlockingRegion::BlockingRegion() : hooks_(current) {
  if (hooks_ != nullptr && hooks_->enter_blocking != nullptr) {
    entered_ = hooks_->enter_blocking(hooks_->ctx);
  }
}

BlockingRegion::~BlockingRegion() {
  if (entered_) hooks_->leave_blocking(hooks_->ctx);
}

}  // namespace runa::concurrency
