// TimerWheel: the executor's timers — a hierarchical hashed timing wheel
// (Varghese and Lauck, "Hashed and Hierarchical Timing Wheels", 1987), as
// the Linux kernel and Tokio keep theirs.
//
// Time is an integer tick count (the executor's ticks are milliseconds);
// the wheel only compares and subtracts. Six levels of 64 slots: a slot of
// level k spans 64^k ticks, so level 0 holds the next 64 ticks one per
// slot, and the six levels together the next 64^6 ticks (about 2.2 years
// of milliseconds). Deadlines further out wait in an overflow list.
//
// Placement. Write a tick in base 64: digit k is bits 6k..6k+5. An entry
// whose deadline d first differs from the wheel's time `now` at digit k
// goes to level k, slot digit_k(d). Invariant: every entry at level k
// agrees with `now` on all digits above k, and its digit k is at least
// now's (d >= now). So all of level 0's entries come before all of level
// 1's (they lie in now's 64-block, level 1's in later 64-blocks of now's
// 4096-block), and so on up: the lowest non-empty level holds the earliest
// deadline, in its first occupied slot at or after now's digit. An entry
// armed with d <= now goes to now's own level-0 slot.
//
// Advancing. advance(t) repeatedly takes that first occupied slot, if it
// starts at or before t: it moves `now` to the slot's start (which keeps
// the invariant for every other entry: only digits at or below the slot's
// level change, to values not above those of the entries still placed),
// then empties the slot: entries due by then are collected, the others
// are placed again relative to the new `now` (cascading: an entry moves
// down at most once per level in its life, so advancing costs amortised
// O(1) per entry, plus O(levels) per call thanks to one occupancy bitmap
// per level). Collected entries are handed to the sink only once the walk
// is over, in nondecreasing deadline order between slots (unordered within
// one), so a sink may re-arm an entry: it fires again at a later advance,
// never in the same one.
//
// Why a wheel and not a binary heap: arm and cancel are O(1) without
// allocation (entries are intrusive), and the common timer — a timeout
// cancelled long before it fires — never costs a sift. next_deadline() is
// exact at level 0 and a lower bound above it (the start of the slot), so
// a driver sleeping until it never oversleeps: it wakes, cascades, and
// asks again.
//
// Not thread-safe: its owner (the executor's driver, under its lock) calls
// everything. An entry must not be destroyed while armed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace runa::concurrency {

struct TimerEntry {
  TimerEntry() = default;
  TimerEntry(const TimerEntry&) = delete;
  TimerEntry& operator=(const TimerEntry&) = delete;
  TimerEntry(TimerEntry&&) = delete;
  TimerEntry& operator=(TimerEntry&&) = delete;
  ~TimerEntry() = default;

  [[nodiscard]] bool armed() const { return where_ != kNowhere; }
  [[nodiscard]] std::uint64_t deadline() const { return deadline_; }

 private:
  friend class TimerWheel;
  static constexpr std::uint16_t kNowhere = 0xFFFF;
  static constexpr std::uint16_t kOverflow = 0xFFFE;
  TimerEntry* prev_ = nullptr;
  TimerEntry* next_ = nullptr;
  std::uint64_t deadline_ = 0;
  std::uint16_t where_ = kNowhere;  // level * 64 + slot, kOverflow, or kNowhere
};

class TimerWheel {
 public:
  static constexpr unsigned kLevels = 6;
  static constexpr unsigned kSlots = 64;
  static constexpr unsigned kBits = 6;
  static constexpr unsigned kSpanBits = kLevels * kBits;  // the wheel spans 2^36 ticks

  explicit TimerWheel(std::uint64_t now) : now_(now) {}
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  TimerWheel(TimerWheel&&) = delete;
  TimerWheel& operator=(TimerWheel&&) = delete;
  ~TimerWheel() = default;

  [[nodiscard]] std::uint64_t now() const { return now_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

  // Arms e (re-arms it if armed). A deadline at or before now() fires at
  // the next advance.
  void arm(TimerEntry* e, std::uint64_t deadline);
  // False if e was not armed (it fired, or was never armed).
  bool cancel(TimerEntry* e);

  // Moves time to `t` (ignored if t < now()) and calls sink(entry) for
  // every entry due by then, each once, after unarming it.
  template <class Sink>
  void advance(std::uint64_t t, Sink&& sink) {
    TimerEntry* due = collect(t);
    while (due != nullptr) {
      TimerEntry* e = due;
      due = e->next_;
      e->next_ = nullptr;
      sink(e);
    }
  }

  // The earliest tick at which advance() may fire something: exact when
  // that entry is within now()'s 64-tick block, otherwise a lower bound
  // (never later than the earliest deadline). nullopt when empty.
  [[nodiscard]] std::optional<std::uint64_t> next_deadline() const;

 private:
  struct Slot {
    unsigned level;
    unsigned index;
    std::uint64_t start;
  };
  // Links e into its place relative to now_.
  void place(TimerEntry* e);
  void unlink(TimerEntry* e);
  [[nodiscard]] std::optional<Slot> first_slot() const;
  // Unlinks every due entry, cascades the others; the due ones as a list.
  TimerEntry* collect(std::uint64_t t);

  std::uint64_t now_;
  std::size_t size_ = 0;
  std::array<std::uint64_t, kLevels> occupied_{};  // bit s: slot s of the level is not empty
  std::array<std::array<TimerEntry*, kSlots>, kLevels> slots_{};
  TimerEntry* overflow_ = nullptr;  // deadlines beyond the wheel's span
};

}  // namespace runa::concurrency
