// Sampler: sample points in TLABs, exponential intervals, the sample table
// (see sampler.hpp).
#include "memory/sampler.hpp"

#include <cmath>

namespace runa::heap {
namespace {

constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ULL;

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t Sampler::draw(MutatorRecord& m) const {
  m.sample_rng += kGamma;
  // A uniform in (0, 1] from the top 53 bits: log() never sees 0.
  double u = static_cast<double>((mix(m.sample_rng) >> 11) + 1) * 0x1.0p-53;
  return static_cast<std::uint64_t>(-std::log(u) * static_cast<double>(mean_));
}

void Sampler::start(MutatorRecord& m) {
  {
    std::lock_guard lock(mu_);
    // Threads draw from far-apart points of one sequence, in attach order:
    // a single-threaded program samples the same allocations on every run.
    m.sample_rng = mix(++next_thread_ * kGamma);
  }
  m.sample_left = draw(m);
}

void Sampler::set_mean(std::size_t mean, const std::vector<MutatorRecord*>& mutators) {
  mean_ = mean;
  for (MutatorRecord* m : mutators) {
    retire(*m);
    if (!on()) continue;
    if (m->sample_rng == 0) {
      start(*m);
    } else {
      m->sample_left = draw(*m);
    }
    arm(*m, m->tlab_end);
  }
}

void Sampler::arm(MutatorRecord& m, std::uint8_t* end) const {
  m.tlab_end = end;
  if (!on() || m.cursor == nullptr) return;
  m.sample_from = m.cursor;
  auto room = static_cast<std::uint64_t>(end - m.cursor);
  m.limit = m.sample_left < room ? m.cursor + m.sample_left : end;
}

void Sampler::retire(MutatorRecord& m) {
  if (m.sample_from != nullptr) {
    auto used = static_cast<std::uint64_t>(m.cursor - m.sample_from);
    m.sample_left -= used < m.sample_left ? used : m.sample_left;
    m.sample_from = nullptr;
  }
  m.limit = m.tlab_end;
}

Object* Sampler::take(MutatorRecord& m, std::uint64_t header, std::size_t bytes) {
  retire(m);
  auto* o = reinterpret_cast<Object*>(m.cursor);
  m.cursor += bytes;
  o->header = header;
  sample(m, o, bytes);
  arm(m, m.tlab_end);
  return o;
}

void Sampler::count(MutatorRecord& m, Object* o, std::size_t bytes) {
  if (bytes < m.sample_left) {
    m.sample_left -= bytes;
    return;
  }
  sample(m, o, bytes);
}

void Sampler::sample(MutatorRecord& m, Object* o, std::size_t bytes) {
  m.sample_left = draw(m);
  std::vector<StackFrame> stack;
  std::lock_guard lock(mu_);
  // Under the lock: set_describer() may change it from another thread.
  if (describer_ != nullptr) describer_(describer_ctx_, m, stack);
  auto [it, added] = stack_index_.try_emplace(stack, static_cast<std::uint32_t>(stacks_.size()));
  if (added) stacks_.push_back(std::move(stack));
  samples_.push_back({hdr::type_of(o->header), it->second, bytes, mean_, true});
  live_.add(o, samples_.size() - 1);
}

void Sampler::set_describer(StackDescriber fn, void* ctx) {
  std::lock_guard lock(mu_);
  describer_ = fn;
  describer_ctx_ = ctx;
}

void Sampler::died(void* ctx, std::uint64_t index) {
  static_cast<Sampler*>(ctx)->samples_[index].live = false;
}

}  // namespace runa::heap
