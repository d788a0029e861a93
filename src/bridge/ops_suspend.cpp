// Generators and async functions on the bridge's side: the suspension a
// call makes, resume through the serving tier, and the tier-neutral saved
// frame (runatime/ops.hpp, "generators"; types/suspensions.hpp).
//
// The protocol with a tier, for one resume:
//   1. resume() claims it: marks it running by CAS (a running suspension
//      is a re-entry from its own code, or another thread's: ValueError; of
//      two threads resuming it at once, one wins, the other gets that);
//   2. the tier of the function's current entry continues the frame
//      (TierCallbacks::resume), which either calls suspend() — saved,
//      status suspended — and returns kSuspended, or returns or throws;
//   3. anything but kSuspended finishes the suspension.
// Because the status says `running` from 1 until 2 saves or 3 finishes,
// the frame is never continued twice, nor saved by anyone but its runner.
#include <string>

#include "bridge/runtime_impl.hpp"

namespace runa::rt::ops {

// NOLINTBEGIN(readability-non-const-parameter): operands are root slots

namespace {

using types::Suspensions;

const FunctionInfo& function_of(Thread& t, Value s) {
  const Value callee = Suspensions::callee(s);
  const Shapes& sh = impl_of(t).shapes();
  return *function_info(has_type(callee, sh.closure) ? closure_function(callee) : callee);
}

}  // namespace

bool suspended_call(Thread& t, const FunctionInfo& f, Value* callee, Value* args, std::uint32_t n,
                    Value* out) {
  const bool generator = (f.def->flags & module::kFnGenerator) != 0;
  if (generator && (f.def->flags & module::kFnAsync) != 0) {
    return not_available(t, "an ASYNC GENERATOR function (" + std::string(f.name()) + ")");
  }
  const Value s = impl_of(t).types().suspensions().make(*t.m, generator, callee, args, n);
  if (s == types::kNothing) return out_of_memory(t);
  *out = s;
  return true;
}

Resumed resume(Thread& t, Value* s, Value* sent, Value* out) {
  const Suspensions& sus = impl_of(t).types().suspensions();
  const bool generator = sus.is_generator(*s);
  const char* what = generator ? "generator" : "coroutine";
  const Suspensions::Status was = Suspensions::claim(*s);  // kRunning: this thread's now
  switch (was) {
    case Suspensions::Status::kRunning:
      raise(t, "ValueError", std::string("the ") + what + " is already running");
      return Resumed::kThrew;
    case Suspensions::Status::kDone:
      if (generator) {
        *out = types::kNothing;
        return Resumed::kReturned;
      }
      raise(t, "ValueError", "the coroutine has finished: it is awaited once");
      return Resumed::kThrew;
    default:
      break;
  }
  const FunctionInfo& f = function_of(t, *s);
  const TierInfo& tier = impl_of(t).tier(f.current().tier);
  if (tier.callbacks.resume == nullptr) {
    Suspensions::set_status(*s, was);  // let go of the claim: nothing ran
    not_available(t, "continuing " + std::string(f.name()) + " on " + tier.name);
    return Resumed::kThrew;
  }
  const Resumed r = tier.callbacks.resume(tier.data, t, f, s, sent, out);
  if (r != Resumed::kSuspended) Suspensions::set_status(*s, Suspensions::Status::kDone);
  return r;
}

SavedFrame saved_frame(Thread& /*t*/, Value s) {
  const Suspensions::Shape shape = Suspensions::shape(s);
  SavedFrame f;
  f.created = !Suspensions::started(s);
  f.callee = Suspensions::callee(s);
  f.offset = Suspensions::offset(s);
  f.shape = {shape.slots, shape.stack, shape.handlers};
  f.values = Suspensions::values(s);
  return f;
}

bool suspend(Thread& t, Value* s, std::uint32_t offset, FrameShape shape, Value* values) {
  const Suspensions& sus = impl_of(t).types().suspensions();
  if (!sus.save(*t.m, s, offset, {shape.slots, shape.stack, shape.handlers}, values)) {
    return out_of_memory(t);
  }
  return true;
}

// NOLINTEND(readability-non-const-parameter)

}  // namespace runa::rt::ops
