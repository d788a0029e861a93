// Stacks for heap samples: the runtime's StackDescriber
// (runatime/heap_profile.hpp), which names a sampled allocation's frames
// across tiers through Runtime::walk.
//
// The heap calls it with only a Mutator; the Thread running on it is the
// one the calling OS thread attached (Runtime::attach records it in a
// thread-local, Runtime::detach clears it), checked against the mutator so
// that a mutator attached without the runtime gets no frames.
#pragma once

#include <vector>

#include "runatime/heap_profile.hpp"
#include "runatime/runtime.hpp"

namespace runa::bridge {

void set_current_thread(rt::Thread* t);
// ctx is unused: the thread knows its runtime.
void describe_stack(void* ctx, heap::Mutator& m, std::vector<heap::StackFrame>& out);

}  // namespace runa::bridge
