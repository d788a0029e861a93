// GcTrace: collections, their phases and each collector worker's share,
// as Chrome trace events (the JSON that Perfetto and chrome://tracing
// open), for start_gc_trace() (runatime/heap_profile.hpp).
//
// Recording happens in the pause, which must not allocate: events go into
// a buffer allocated when tracing starts, each claimed with one atomic
// increment (workers record concurrently); a full buffer drops events and
// counts them. After each collection a collection callback stops the world
// for a moment to take the events (a copy and a reset), then writes them
// to the file outside the pause. Off, tracing costs each phase one relaxed
// load of `on_`.
//
// Events are complete events ("ph":"X") on the thread that did the work:
// tid 0 the thread that stopped the world, tid k collector worker k; a
// metadata event names each.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace runa::heap {

struct TraceEvent {
  const char* name;  // a string literal
  std::uint64_t start_ns;
  std::uint64_t dur_ns;
  std::uint32_t tid;
  const char* arg_name;  // nullptr: no argument
  std::uint64_t arg;
};

std::uint64_t trace_clock_ns();  // steady_clock, the clock of CollectionEvent

class GcTrace {
 public:
  static constexpr std::size_t kCapacity = std::size_t{1} << 16;

  GcTrace() = default;
  ~GcTrace();  // writes what is left and closes the file
  GcTrace(const GcTrace&) = delete;
  GcTrace& operator=(const GcTrace&) = delete;
  GcTrace(GcTrace&&) = delete;
  GcTrace& operator=(GcTrace&&) = delete;

  [[nodiscard]] bool on() const { return on_.load(std::memory_order_relaxed); }
  // In a pause, from any collector thread.
  void add(const TraceEvent& e);

  // World running: the file and the buffer. False with `error` set when
  // the file cannot be opened or a trace is open already.
  bool open(const std::string& path, unsigned workers, std::string& error);
  // World stopped: collections record events from now on, or stop.
  void set_on(bool on) { on_.store(on, std::memory_order_relaxed); }
  // World stopped: the events recorded so far, and the buffer emptied.
  std::vector<TraceEvent> take();
  // World running: appends `events` to the file.
  void write(const std::vector<TraceEvent>& events);
  // Writes the end of the file and closes it (tracing off); the events
  // written in all.
  std::uint64_t close();

  // The flushing collection callback's id.
  void set_callback(std::uint64_t id) { callback_ = id; }
  [[nodiscard]] std::uint64_t callback() const { return callback_; }

 private:
  std::atomic<bool> on_{false};
  std::unique_ptr<TraceEvent[]> events_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::mutex mu_;  // the file: callbacks of different threads write it
  std::FILE* out_ = nullptr;
  std::uint64_t written_ = 0;
  std::uint64_t callback_ = 0;
};

// Records [construction, destruction) as one event when tracing is on.
class TraceSpan {
 public:
  TraceSpan(GcTrace& t, const char* name, std::uint32_t tid)
      : t_(t.on() ? &t : nullptr), e_{name, t_ != nullptr ? trace_clock_ns() : 0, 0, tid, nullptr,
                                      0} {}
  ~TraceSpan() {
    if (t_ == nullptr) return;
    e_.dur_ns = trace_clock_ns() - e_.start_ns;
    t_->add(e_);
  }
  TraceSpan(const TraceSpan&) = delete;
  TraceSpan& operator=(const TraceSpan&) = delete;
  TraceSpan(TraceSpan&&) = delete;
  TraceSpan& operator=(TraceSpan&&) = delete;

  void arg(const char* name, std::uint64_t v) {
    e_.arg_name = name;
    e_.arg = v;
  }

 private:
  GcTrace* t_;
  TraceEvent e_;
};

}  // namespace runa::heap
