#include "concurrency/blocking.hpp"

namespace runa::concurrency {
namespace {
thread_local const ThreadHooks* current = nullptr;
thread_local void (*block_hook)(void*) = nullptr;
thread_local void* block_hook_ctx = nullptr;
}  // namespace

void set_thread_hooks(const ThreadHooks* hooks) {
  current = hooks;
}

const ThreadHooks* thread_hooks() {
  return current;
}

void set_block_hook(void (*fn)(void*), void* ctx) {
  block_hook = fn;
  block_hook_ctx = ctx;
}

void poll_safepoint() {
  if (current != nullptr && current->poll != nullptr) current->poll(current->ctx);
}

BlockingRegion::BlockingRegion() : hooks_(current) {
  if (block_hook != nullptr) block_hook(block_hook_ctx);
  if (hooks_ != nullptr && hooks_->enter_blocking != nullptr) {
    entered_ = hooks_->enter_blocking(hooks_->ctx);
  }
}

BlockingRegion::~BlockingRegion() {
  if (entered_) hooks_->leave_blocking(hooks_->ctx);
}

}  // namespace runa::concurrency
