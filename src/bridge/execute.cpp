// Execution requests: the AOTT plan's `_rt_aott_execute` (docs/bridge.md,
// "Execution requests").
//
// A request is a call with a tier preference; its result says how the call
// ran. The preference is honoured the only way a tiered runtime can keep
// every thread consistent: the wanted tier prepares the function (here, on
// the calling thread, in a native region so that a long compilation never
// delays a collection) and is installed as its entry, exactly as the
// policy installs a promotion. There is no "this call only" form: a tier's
// invoke finds its code through the function's entry, and two entries at
// once would let one thread run code another has retired.
//
// What the result reports is read around the call from counters the
// runtime keeps anyway (FunctionInfo::deopts, compile_ns, the entry), so a
// request costs two clock reads more than a plain call. Those counters are
// per function, not per call: a deoptimisation or a promotion by another
// thread running the same function meanwhile shows in this result too.
#include <chrono>
#include <string>

#include "bridge/runtime_impl.hpp"
#include "runatime/ops.hpp"

namespace runa::rt {

std::uint32_t Runtime::budget_left(const FunctionInfo& f) const {
  const std::uint32_t budget = impl_->policy().budget(f);
  const std::uint32_t used = f.deopts.load(std::memory_order_relaxed);
  return used >= budget ? 0 : budget - used;
}

bool Runtime::execute(Thread& t, const ExecuteRequest& request, ExecuteResult& result) {
  result = ExecuteResult{};
  const FunctionInfo* f = ops::callee(t, *request.callee, request.n);
  if (f == nullptr) return false;
  if (request.tier != kAnyTier && request.tier >= tier_count()) {
    return ops::raise(t, "ValueError",
                      "execute: no tier " + std::to_string(request.tier) + " (" +
                          std::to_string(tier_count()) + " registered)");
  }
  if (request.speculation_budget != 0) {
    f->budget.store(request.speculation_budget, std::memory_order_relaxed);
  }
  const std::uint64_t compiled = f->compile_ns.load(std::memory_order_relaxed);
  const std::uint32_t deopts = f->deopts.load(std::memory_order_relaxed);
  // Natives run in the runtime, and a GENERATOR or ASYNC function's call
  // only makes its suspension: no tier runs them here.
  const bool in_tiers =
      f->native == nullptr && (f->def->flags & (module::kFnGenerator | module::kFnAsync)) == 0;
  if (request.tier != kAnyTier && f->current().tier != request.tier) {
    void* code = nullptr;
    if (in_tiers) {
      heap::NativeRegion region(*t.m);
      code = impl_->policy().prepare(*f, request.tier, kNoOsr);
    }
    if (code != nullptr) {
      install(*f, request.tier, code);
    } else if (!request.fallback) {
      return ops::raise(
          t, "NotAvailable",
          "execute: " + tier(request.tier).name + " cannot serve " + std::string(f->name()));
    }
  }
  result.tier = f->current().tier;
  const std::uint32_t level = tier(result.tier).level;
  heap::HandleScope scope(*t.m);
  heap::Handle value(*t.m, types::kNothing);
  const auto start = std::chrono::steady_clock::now();
  const bool ok = call(t, request.callee, request.args, request.n, value.slot());
  const auto took = std::chrono::steady_clock::now() - start;
  result.run_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
  result.compile_ns = f->compile_ns.load(std::memory_order_relaxed) - compiled;
  result.deoptimized = f->deopts.load(std::memory_order_relaxed) != deopts;
  result.promoted = tier(f->current().tier).level > level;
  result.budget_left = budget_left(*f);
  if (ok) result.value = value.value();
  return ok;
}

}  // namespace runa::rt
