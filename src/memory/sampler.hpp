// Sampler: allocation profiling, one sample every `mean` allocated bytes on
// average (Options::sample_bytes), for write_allocation_profile().
//
// The intervals between samples are drawn from an exponential distribution
// (as tcmalloc and Go's MemProfileRate do), so that sampling is a Poisson
// process over allocated bytes: an allocation of s bytes is sampled with
// probability 1 - exp(-s / mean), whatever the sizes around it, and
// weighting each sample by the inverse of that probability estimates the
// totals without bias (what the written profile does).
//
// It costs the allocation fast path nothing: a thread's TLAB limit
// (Mutator::limit, the one check the fast path makes) is lowered to the
// next sample point, so the allocation that reaches it takes the slow
// path, which samples it and moves the limit to the next point. The TLAB's
// real end is MutatorRecord::tlab_end.
//
// Per thread (MutatorRecord, touched only by its thread or with the world
// stopped): sample_left, the bytes still to allocate before the next
// sample, counted from sample_from (the cursor when the limit was last
// set); sample_rng, the thread's generator.
//
// The mean changes only with the world stopped (set_mean), which re-arms
// every thread's TLAB; mutators read it unlocked, after the handshake.
//
// Samples are kept for the heap's life: each records its type, size and
// stack (through the registered StackDescriber), and whether its object
// still lives, which `live_` (watched.hpp) learns from every collection.
// Invariants: `samples_` only grows, under `mu_` with the world running;
// `live` flags change only with the world stopped (Watched's died
// callback), so a reader that copies the table with the world stopped
// sees a consistent profile.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "memory/mutators.hpp"
#include "memory/watched.hpp"
#include "runatime/heap_profile.hpp"

namespace runa::heap {

class Sampler {
 public:
  struct Sample {
    std::uint32_t type;
    std::uint32_t stack;  // index into stacks()
    std::uint64_t bytes;
    std::uint64_t mean;  // the mean when it was taken: its weight
    bool live;
  };

  Sampler(std::size_t mean, const Nursery& nursery)
      : mean_(mean), live_(&nursery, &Sampler::died, this) {}

  [[nodiscard]] bool on() const { return mean_ != 0; }
  [[nodiscard]] std::size_t mean() const { return mean_; }

  // World stopped: a new mean (0: off) for every thread from now on.
  void set_mean(std::size_t mean, const std::vector<MutatorRecord*>& mutators);
  // A new thread: its generator and first interval.
  void start(MutatorRecord& m);
  // m's TLAB [m.cursor, end) begins: m.limit becomes the next sample point
  // when it comes first.
  void arm(MutatorRecord& m, std::uint8_t* end) const;
  // m's TLAB ends (or is about to change): counts what m allocated in it
  // since arm() and gives m.limit its real end back.
  static void retire(MutatorRecord& m);
  // m's cursor reached a lowered limit and `bytes` fit before the real end:
  // allocates there, samples the object, and arms the next point.
  Object* take(MutatorRecord& m, std::uint64_t header, std::size_t bytes);
  // An object allocated outside the TLAB's bump (a new TLAB's first
  // object, a large or pinned one): counts it, sampling it when it reaches
  // the sample point.
  void count(MutatorRecord& m, Object* o, std::size_t bytes);

  void set_describer(StackDescriber fn, void* ctx);

  // The collectors (watched.hpp).
  Watched& live() { return live_; }

  // World stopped: a copy of the samples and the stacks they name.
  [[nodiscard]] std::vector<Sample> samples() const { return samples_; }
  [[nodiscard]] std::vector<std::vector<StackFrame>> stacks() const { return stacks_; }

 private:
  static void died(void* ctx, std::uint64_t index);
  void sample(MutatorRecord& m, Object* o, std::size_t bytes);
  [[nodiscard]] std::uint64_t draw(MutatorRecord& m) const;

  std::size_t mean_;
  std::mutex mu_;  // samples_, stacks_, stack_index_, the describer
  std::vector<Sample> samples_;
  std::vector<std::vector<StackFrame>> stacks_;
  std::map<std::vector<StackFrame>, std::uint32_t> stack_index_;
  StackDescriber describer_ = nullptr;
  void* describer_ctx_ = nullptr;
  std::uint64_t next_thread_ = 0;
  Watched live_;
};

}  // namespace runa::heap
