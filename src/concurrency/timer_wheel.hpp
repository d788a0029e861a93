// TimerWheel: the executor's timers — a hierarchical hashed timing wheel
// (Varghese and Lauck, "Hashed and Hierarchical Timing Wheels", 1987), in
// the shape the Linux kernel and Tokio give theirs.
//
// Time is an integer tick count (the executor's ticks are milliseconds);
// the wheel only compares, masks and subtracts, so it has no unit. It
// starts at the tick given to the constructor and only moves forward.
//
// Levels. Six levels of 64 slots. A slot of level k spans 64^k ticks, so
// level 0 holds the next 64 ticks one per slot and the six levels together
// span 64^6 = 2^36 ticks (about 2.2 years of milliseconds). Each slot is an
// intrusive doubly linked list of TimerEntry, and each level has a 64-bit
// occupancy bitmap (bit s: slot s is not empty), so finding the next
// non-empty slot is a count of trailing zeros, never a scan.
//
// Placement. Write ticks in base 64: digit k is bits 6k..6k+5. An entry
// with deadline d (taken as now() if it is already past: its key) goes to
// the level of the highest digit in which d differs from the wheel's time
// `now` (level 0 if none), clamped to level 5, and to the slot given by
// d's digit at that level. The comparison with `now`, not the distance
// d - now, is what makes the slot's start a clean prefix of now: an entry
// at level k < 5 agrees with now on every digit above k, and its digit k is
// above now's (or equal, at level 0). Its slot therefore starts at now with
// digits 0..k replaced by 0..0,s — at or before d, at or after now.
//
// Beyond the span. The rule at level 5 treats the level as a ring: a slot
// above now's digit 5 is reached in this rotation (starts in now's 2^36
// block); a slot at or below it is reached in the next one (the next
// block). An entry whose deadline lies in a later 2^36 block goes to level
// 5, slot digit_5(d), like any other; since d is at least the next block,
// that slot's next start is never after d. When the wheel reaches it the
// entry is placed again: lower down if d is now within the span, else back
// in the same slot, one rotation (2^36 ticks) later. So an entry costs one
// extra placement per rotation it waits beyond the first, and an advance
// jumping r rotations visits each occupied top slot up to r times: at 1 ms
// ticks, once per 2.2 years. No list of far entries is ever scanned.
//
// Invariants. (1) Every slot's start (the next tick at which the wheel
// reaches it) is at or after now and at or before the key of each entry in
// it. (2) All of level j's slots start before all of level k's for j < k:
// level j's entries lie in now's 64^(j+1) block, level k's in later
// 64^k blocks of now's 64^(k+1) block, or beyond (level 5). Hence the
// earliest slot is the first occupied one of the lowest non-empty level,
// in order from now's digit — O(levels) to find.
//
// Advancing. advance(t) repeatedly takes that earliest slot while it
// starts at or before t: it moves now to the slot's start (only digits at
// or below the slot's level change, and every lower level is empty, so
// (1) and (2) hold for all other entries) and empties the slot. Entries due
// by then (key == start) are collected; the others are placed again
// relative to the new now (cascading), at a strictly lower level, or (an
// entry beyond the span) one rotation on. An entry within the span thus
// moves at most five times before it fires: advancing costs amortised O(1)
// per entry plus O(levels) per call, however far t jumps. Then now becomes
// t (slots still occupied start after t, so (1) and (2) hold).
//
// Firing order. Collected entries are handed to the sink in nondecreasing
// order of their keys: slots are emptied in order of start, and the due
// entries of a slot all have key == start. So deadlines come out in
// nondecreasing order, except that entries armed with a deadline already
// reached (key: now() at arming) fire first, unordered among themselves.
// Equal keys fire in no particular order.
//
// Re-entrancy. The sink runs after the walk, from a list of collected
// entries the wheel keeps (they count as armed until handed over). The
// sink may arm or cancel any entry: cancelling one not handed over yet
// stops it firing; re-arming one, or the entry just fired, places it anew,
// and it fires at a later advance, never in this one (a deadline <= now
// included). If the sink throws, the entries not handed over stay due and
// come first at the next advance.
//
// Why not a binary heap: arm and cancel are O(1) here with no allocation
// (entries are intrusive) against O(log n) sifts, and the common timer — a
// timeout cancelled long before it fires — costs two link updates and is
// never compared with anything. The price is the cascading (at most five
// moves per entry) and a next_deadline() that is exact only for an entry
// in now's 64-tick block (level 0): above, it is the start of the entry's
// slot, a lower bound. A driver sleeping until then never oversleeps; it
// wakes early at most once per level, advances (cascading), and asks again.
//
// Not thread-safe: one owner calls everything (the executor's driver,
// under its lock). No call allocates. An entry must not be destroyed
// while armed (asserted in debug builds); the wheel's destructor disarms
// whatever is left, so entries may outlive it.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace runa::concurrency {

// Embed one per timer (a task's sleep, a timeout). Pinned: the wheel
// links it by address while it is armed.
struct TimerEntry {
  TimerEntry() = default;
  TimerEntry(const TimerEntry&) = delete;
  TimerEntry& operator=(const TimerEntry&) = delete;
  TimerEntry(TimerEntry&&) = delete;
  TimerEntry& operator=(TimerEntry&&) = delete;
  ~TimerEntry() { assert(!armed() && "TimerEntry destroyed while armed"); }

  // Armed: in the wheel, or collected and not handed to the sink yet.
  [[nodiscard]] bool armed() const { return where_ != kNowhere; }
  // The deadline it was last armed with.
  [[nodiscard]] std::uint64_t deadline() const { return deadline_; }

 private:
  friend class TimerWheel;
  static constexpr std::uint16_t kNowhere = 0xFFFF;
  static constexpr std::uint16_t kPending = 0xFFFE;  // collected, not handed over
  TimerEntry* prev_ = nullptr;
  TimerEntry* next_ = nullptr;
  std::uint64_t deadline_ = 0;
  std::uint16_t where_ = kNowhere;  // level * 64 + slot, kPending or kNowhere
};

class TimerWheel {
 public:
  static constexpr unsigned kBits = 6;
  static constexpr unsigned kSlots = 1U << kBits;
  static constexpr unsigned kLevels = 6;
  static constexpr unsigned kSpanBits = kLevels * kBits;  // the wheel spans 2^36 ticks

  explicit TimerWheel(std::uint64_t now) : now_(now) {}
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  TimerWheel(TimerWheel&&) = delete;
  TimerWheel& operator=(TimerWheel&&) = delete;
  ~TimerWheel();

  [[nodiscard]] std::uint64_t now() const { return now_; }
  // Armed entries (pending ones included).
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

  // Arms e for `deadline` (re-arms it if armed). A deadline at or before
  // now() fires at the next advance. O(1).
  void arm(TimerEntry* e, std::uint64_t deadline);
  // Disarms e; false if it was not armed (fired, or never armed). O(1).
  bool cancel(TimerEntry* e);

  // Moves time to t (a t before now() leaves it) and calls sink(entry) for
  // every entry due by then, each once, disarmed just before the call (the
  // sink may re-arm, cancel or free it). See "Firing order", "Re-entrancy".
  template <class Sink>
  void advance(std::uint64_t t, Sink&& sink) {
    collect(t);
    while (TimerEntry* e = pop_pending()) sink(e);
  }

  // The earliest tick at which advance() may fire something, never later
  // than the earliest deadline (now() for one already reached): exact when
  // that entry is in now()'s 64-tick block (level 0), otherwise the start of
  // its slot, a lower bound. nullopt when empty.
  [[nodiscard]] std::optional<std::uint64_t> next_deadline() const;

 private:
  struct Slot {
    unsigned level;
    unsigned index;
    std::uint64_t start;
  };
  // Links e into the slot its key picks relative to now_.
  void place(TimerEntry* e);
  // Unlinks e from its slot or from the pending list.
  void unlink(TimerEntry* e);
  // The earliest occupied slot (invariant 2), if any.
  [[nodiscard]] std::optional<Slot> first_slot() const;
  // Empties every slot starting by t into the pending list, cascades the
  // rest; leaves now_ at max(now_, t).
  void collect(std::uint64_t t);
  // Takes the first pending entry and disarms it; nullptr if none.
  TimerEntry* pop_pending();

  std::uint64_t now_;
  std::size_t size_ = 0;
  std::array<std::uint64_t, kLevels> occupied_{};  // bit s: slot s of the level is not empty
  std::array<std::array<TimerEntry*, kSlots>, kLevels> slots_{};
  TimerEntry* pending_ = nullptr;  // collected, in firing order
  TimerEntry* pending_tail_ = nullptr;
};

}  // namespace runa::concurrency
