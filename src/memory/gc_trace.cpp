// GcTrace: the event buffer, the trace file, and start_gc_trace /
// stop_gc_trace (gc_trace.hpp, runatime/heap_profile.hpp).
#include "memory/gc_trace.hpp"

#include <algorithm>
#include <chrono>

#include "memory/heap.hpp"
#include "runatime/heap_profile.hpp"

namespace runa::heap {

std::uint64_t trace_clock_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

GcTrace::~GcTrace() {
  if (out_ != nullptr) {
    write(take());
    close();
  }
}

void GcTrace::add(const TraceEvent& e) {
  std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
  if (i < kCapacity) {
    events_[i] = e;
  } else {
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

bool GcTrace::open(const std::string& path, unsigned workers, std::string& error) {
  std::lock_guard lock(mu_);
  if (out_ != nullptr) {
    error = "a collection trace is being written already";
    return false;
  }
  out_ = std::fopen(path.c_str(), "w");
  if (out_ == nullptr) {
    error = path + ": cannot open for writing";
    return false;
  }
  events_ = std::make_unique<TraceEvent[]>(kCapacity);
  next_ = 0;
  dropped_ = 0;
  written_ = 0;
  std::fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n", out_);
  std::fputs(
      "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
      "\"args\":{\"name\":\"RunaTime heap\"}}",
      out_);
  for (unsigned k = 0; k < workers; ++k) {
    std::fprintf(out_,
                 ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,"
                 "\"args\":{\"name\":\"%s %u\"}}",
                 k, k == 0 ? "collecting thread" : "gc worker", k);
  }
  return true;
}

std::vector<TraceEvent> GcTrace::take() {
  if (!events_) return {};
  std::size_t n = std::min(next_.load(std::memory_order_relaxed), kCapacity);
  std::vector<TraceEvent> out(events_.get(), events_.get() + n);
  next_.store(0, std::memory_order_relaxed);
  return out;
}

void GcTrace::write(const std::vector<TraceEvent>& events) {
  std::lock_guard lock(mu_);
  if (out_ == nullptr) return;
  for (const TraceEvent& e : events) {
    std::fprintf(out_,
                 ",\n{\"name\":\"%s\",\"cat\":\"gc\",\"ph\":\"X\",\"pid\":1,\"tid\":%u,"
                 "\"ts\":%.3f,\"dur\":%.3f",
                 e.name, e.tid, static_cast<double>(e.start_ns) / 1e3,
                 static_cast<double>(e.dur_ns) / 1e3);
    if (e.arg_name != nullptr) {
      std::fprintf(out_, R"(,"args":{"%s":%llu})", e.arg_name,
                   static_cast<unsigned long long>(e.arg));
    }
    std::fputc('}', out_);
  }
  written_ += events.size();
}

std::uint64_t GcTrace::close() {
  std::lock_guard lock(mu_);
  if (out_ == nullptr) return 0;
  std::fprintf(out_, "\n],\"otherData\":{\"dropped_events\":\"%llu\"}}\n",
               static_cast<unsigned long long>(dropped_.load(std::memory_order_relaxed)));
  std::fclose(out_);
  out_ = nullptr;
  return written_;
}

namespace {

// After every collection while tracing: the events out of the buffer with
// the world stopped for a moment, into the file with it running.
void flush(void* ctx, Mutator& m, const CollectionEvent& /*event*/) {
  auto& h = *static_cast<HeapImpl*>(ctx);
  h.safepoint.stop(record(m), Safepoint::kAnyEpoch);
  std::vector<TraceEvent> events = h.trace.take();
  h.safepoint.resume(false);
  h.trace.write(events);
}

}  // namespace

std::optional<Error> start_gc_trace(Heap& heap, Mutator& m, const std::string& path) {
  HeapImpl& h = impl_of(heap);
  std::string error;
  if (!h.trace.open(path, static_cast<unsigned>(h.workers.size()), error)) {
    return Error{"collection trace", {}, {}, {}, {}, error};
  }
  h.trace.set_callback(heap.add_collection_callback(&flush, &h));
  h.safepoint.stop(record(m), Safepoint::kAnyEpoch);
  h.trace.set_on(true);
  h.safepoint.resume(false);
  return std::nullopt;
}

std::uint64_t stop_gc_trace(Heap& heap, Mutator& m) {
  HeapImpl& h = impl_of(heap);
  heap.remove_collection_callback(m, h.trace.callback());
  h.safepoint.stop(record(m), Safepoint::kAnyEpoch);
  h.trace.set_on(false);
  std::vector<TraceEvent> events = h.trace.take();
  h.safepoint.resume(false);
  h.trace.write(events);
  return h.trace.close();
}

}  // namespace runa::heap
