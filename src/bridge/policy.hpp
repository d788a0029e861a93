// Policy: the tier policy (docs/bridge.md, "Policy"). Tiers report hot
// functions (a call or back-edge counter crossed its threshold) and failed
// guards; the policy decides which tier serves a function next, queues the
// promotion for a background thread that prepares the code and installs
// the entry, sends a function back to the lowest tier on a
// deoptimisation, and stops promoting a function whose speculation budget
// is spent. Every decision is recorded and, with --tier-log, written out.
//
// Invariants:
//   - A function is queued at most once at a time (`queued_` under `mu_`).
//   - Only the background thread calls a tier's prepare() for a
//     promotion, so a slow compile never stalls the program's threads.
//   - The background thread attaches no mutator: prepare() must not touch
//     the heap (tiers compile from the bytecode and the profile records).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runatime/runtime.hpp"

namespace runa::rt {
class RuntimeImpl;
}

namespace runa::bridge {

class Policy {
 public:
  Policy(rt::RuntimeImpl& runtime, const rt::PolicyOptions& options);
  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;
  Policy(Policy&&) = delete;
  Policy& operator=(Policy&&) = delete;

  // A tier reports `f` hot (osr_offset: the loop header, or kNoOsr).
  void hot(const rt::FunctionInfo& f, std::uint32_t osr_offset);
  // A tier's guard failed in `f`: back to the lowest tier.
  void deoptimize(const rt::FunctionInfo& f, std::string_view reason);
  // Waits until the queue is empty (tests, orderly shutdown).
  void drain();
  // f's speculation budget: its own (FunctionInfo::budget), else the
  // options'.
  [[nodiscard]] std::uint32_t budget(const rt::FunctionInfo& f) const;
  // Asks `tier` to prepare f (osr_offset: a loop header, or kNoOsr), adding
  // the time it took to f.compile_ns. Touches no heap: callers that are
  // mutators call it in a native region.
  void* prepare(const rt::FunctionInfo& f, std::uint32_t tier, std::uint32_t osr_offset) const;

  [[nodiscard]] const rt::PolicyOptions& options() const { return options_; }
  [[nodiscard]] std::vector<std::string> decisions() const;

 private:
  struct Request {
    const rt::FunctionInfo* f;
    std::uint32_t tier;
    std::uint32_t osr;
  };
  void record(std::string line);
  void serve();
  [[nodiscard]] std::int64_t next_tier(const rt::FunctionInfo& f) const;

  rt::RuntimeImpl& runtime_;
  rt::PolicyOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Request> queue_;
  std::set<const rt::FunctionInfo*> queued_;
  std::set<const rt::FunctionInfo*> settled_;  // decided: stays where it is
  std::vector<std::string> decisions_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace runa::bridge
