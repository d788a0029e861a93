#include "bridge/policy.hpp"

#include <chrono>
#include <cstdio>

#include "bridge/runtime_impl.hpp"

namespace runa::bridge {

Policy::Policy(rt::RuntimeImpl& runtime, const rt::PolicyOptions& options)
    : runtime_(runtime), options_(options) {}

Policy::~Policy() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::int64_t Policy::next_tier(const rt::FunctionInfo& f) const {
  const std::uint32_t now = runtime_.tier(f.current().tier).level;
  std::int64_t best = -1;
  for (std::uint32_t i = 0; i < runtime_.tier_count(); ++i) {
    const std::uint32_t level = runtime_.tier(i).level;
    if (level > now && (best < 0 || level < runtime_.tier(static_cast<std::uint32_t>(best)).level))
      best = i;
  }
  return best;
}

std::uint32_t Policy::budget(const rt::FunctionInfo& f) const {
  const std::uint32_t own = f.budget.load(std::memory_order_relaxed);
  return own != 0 ? own : options_.speculation_budget;
}

void* Policy::prepare(const rt::FunctionInfo& f, std::uint32_t tier,
                      std::uint32_t osr_offset) const {
  const rt::TierInfo& t = runtime_.tier(tier);
  if (t.callbacks.prepare == nullptr) return nullptr;
  const auto start = std::chrono::steady_clock::now();
  void* code = t.callbacks.prepare(t.data, f, osr_offset);
  const auto took = std::chrono::steady_clock::now() - start;
  f.compile_ns.fetch_add(static_cast<std::uint64_t>(
                             std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
                         std::memory_order_relaxed);
  return code;
}

void Policy::record(std::string line) {
  if (options_.log != nullptr) std::fprintf(options_.log, "tier: %s\n", line.c_str());
  decisions_.push_back(std::move(line));
}

void Policy::hot(const rt::FunctionInfo& f, std::uint32_t osr_offset) {
  std::lock_guard lock(mu_);
  if (queued_.contains(&f) || settled_.contains(&f)) return;
  const std::string what =
      std::string(f.name()) + " (" +
      std::to_string(f.profile.calls.load(std::memory_order_relaxed)) + " calls, " +
      std::to_string(f.profile.backedges.load(std::memory_order_relaxed)) + " back-edges)";
  if (f.deopts.load(std::memory_order_relaxed) >= budget(f)) {
    settled_.insert(&f);
    record(what + ": speculation budget spent (" + std::to_string(budget(f)) +
           " deoptimisations): stays in " + runtime_.tier(f.current().tier).name);
    return;
  }
  const std::int64_t next = next_tier(f);
  if (next < 0) {
    settled_.insert(&f);
    record(what + ": hot; no tier above " + runtime_.tier(f.current().tier).name +
           " is registered: stays");
    return;
  }
  queued_.insert(&f);
  queue_.push_back({&f, static_cast<std::uint32_t>(next), osr_offset});
  record(what + ": hot; queued for " + runtime_.tier(static_cast<std::uint32_t>(next)).name +
         (osr_offset == rt::kNoOsr ? "" : " (OSR at " + std::to_string(osr_offset) + ")"));
  if (!worker_.joinable()) worker_ = std::thread([this] { serve(); });
  wake_.notify_one();
}

void Policy::serve() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    const Request r = queue_.front();
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    const rt::TierInfo& tier = runtime_.tier(r.tier);
    // A frame can be taken mid-loop only by a tier that enters frames.
    void* code = r.osr != rt::kNoOsr && tier.callbacks.enter == nullptr
                     ? nullptr
                     : prepare(*r.f, r.tier, r.osr);
    if (code != nullptr) runtime_.install(*r.f, r.tier, code, r.osr);
    lock.lock();
    busy_ = false;
    queued_.erase(r.f);
    if (code == nullptr) settled_.insert(r.f);
    record(std::string(r.f->name()) + (code != nullptr ? ": now served by " : ": refused by ") +
           tier.name + (r.osr == rt::kNoOsr ? "" : " (OSR at " + std::to_string(r.osr) + ")"));
    if (queue_.empty()) idle_.notify_all();
  }
}

void Policy::deoptimize(const rt::FunctionInfo& f, std::string_view reason) {
  f.deopts.fetch_add(1, std::memory_order_relaxed);
  std::uint32_t lowest = 0;
  for (std::uint32_t i = 0; i < runtime_.tier_count(); ++i) {
    if (runtime_.tier(i).level < runtime_.tier(lowest).level) lowest = i;
  }
  void* code = f.prepared[lowest].load(std::memory_order_acquire);
  runtime_.install(f, lowest, code);
  // An on-stack-replacement entry speculated as the failed code did: a
  // frame handed back to the lowest tier would be taken again at its next
  // loop header, fail again, and nest a C-stack activation each time.
  f.osr.store(nullptr, std::memory_order_release);
  std::lock_guard lock(mu_);
  // Counting starts again: the function may be promoted anew, within budget.
  f.profile.calls.store(0, std::memory_order_relaxed);
  settled_.erase(&f);
  record(std::string(f.name()) + ": deoptimised to " + runtime_.tier(lowest).name + ": " +
         std::string(reason) + " (" + std::to_string(f.deopts.load(std::memory_order_relaxed)) +
         " of " + std::to_string(budget(f)) + ")");
}

void Policy::drain() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

std::vector<std::string> Policy::decisions() const {
  std::lock_guard lock(mu_);
  return decisions_;
}

}  // namespace runa::bridge
