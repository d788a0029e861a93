#include "concurrency/timer_wheel.hpp"

#include <algorithm>
#include <bit>

namespace runa::concurrency {
namespace {

constexpr unsigned kTop = TimerWheel::kLevels - 1;
constexpr std::uint64_t kSpan = std::uint64_t{1} << TimerWheel::kSpanBits;
constexpr std::uint64_t kDigitMask = TimerWheel::kSlots - 1;

unsigned digit(std::uint64_t t, unsigned level) {
  return static_cast<unsigned>((t >> (level * TimerWheel::kBits)) & kDigitMask);
}

// The level of the highest base-64 digit in which key and now differ (0 if
// none), clamped to the top level. Or-ing in the digit-0 bits makes a
// difference confined to digit 0 (or none) count as level 0.
unsigned level_for(std::uint64_t key, std::uint64_t now) {
  std::uint64_t differ = (key ^ now) | kDigitMask;
  auto level = static_cast<unsigned>(63 - std::countl_zero(differ)) / TimerWheel::kBits;
  return std::min(level, kTop);
}

std::uint16_t where_of(unsigned level, unsigned slot) {
  return static_cast<std::uint16_t>(level * TimerWheel::kSlots + slot);
}

}  // namespace

TimerWheel::~TimerWheel() {
  // Disarm what is left so that entries may outlive the wheel (their
  // destructor asserts that they are not armed).
  for (auto& level : slots_) {
    for (TimerEntry* head : level) {
      for (TimerEntry* e = head; e != nullptr; e = e->next_) e->where_ = TimerEntry::kNowhere;
    }
  }
  for (TimerEntry* e = pending_; e != nullptr; e = e->next_) e->where_ = TimerEntry::kNowhere;
}

void TimerWheel::place(TimerEntry* e) {
  // A deadline already reached waits in now's own level-0 slot.
  std::uint64_t key = std::max(e->deadline_, now_);
  unsigned level = level_for(key, now_);
  unsigned slot = digit(key, level);
  TimerEntry*& head = slots_[level][slot];
  e->where_ = where_of(level, slot);
  e->prev_ = nullptr;
  e->next_ = head;
  if (head != nullptr) head->prev_ = e;
  head = e;
  occupied_[level] |= std::uint64_t{1} << slot;
}

void TimerWheel::unlink(TimerEntry* e) {
  bool pending = e->where_ == TimerEntry::kPending;
  unsigned level = e->where_ / kSlots;
  unsigned slot = e->where_ % kSlots;
  TimerEntry*& head = pending ? pending_ : slots_[level][slot];
  if (e->prev_ != nullptr) {
    e->prev_->next_ = e->next_;
  } else {
    head = e->next_;
  }
  if (e->next_ != nullptr) {
    e->next_->prev_ = e->prev_;
  } else if (pending) {
    pending_tail_ = e->prev_;
  }
  if (!pending && head == nullptr) occupied_[level] &= ~(std::uint64_t{1} << slot);
  e->prev_ = e->next_ = nullptr;
  e->where_ = TimerEntry::kNowhere;
}

void TimerWheel::arm(TimerEntry* e, std::uint64_t deadline) {
  if (e->armed()) {
    unlink(e);
  } else {
    ++size_;
  }
  e->deadline_ = deadline;
  place(e);
}

bool TimerWheel::cancel(TimerEntry* e) {
  if (!e->armed()) return false;
  unlink(e);
  --size_;
  return true;
}

std::optional<TimerWheel::Slot> TimerWheel::first_slot() const {
  for (unsigned level = 0; level < kLevels; ++level) {
    std::uint64_t bits = occupied_[level];
    if (bits == 0) continue;
    unsigned shift = level * kBits;
    unsigned own = digit(now_, level);
    if (level < kTop) {
      // By invariant 1 no occupied slot lies below now's digit (none at it
      // above level 0), so the lowest set bit is the next slot.
      auto slot = static_cast<unsigned>(std::countr_zero(bits));
      assert(slot > own || (level == 0 && slot == own));
      // now_ with digits 0..level replaced by 0..0,slot.
      std::uint64_t block = now_ >> (shift + kBits) << (shift + kBits);
      return Slot{level, slot, block | (std::uint64_t{slot} << shift)};
    }
    // The top level is a ring: search from the slot after now's, so that
    // now's own slot (only entries of a later block) comes last.
    unsigned from = (own + 1) & kDigitMask;
    unsigned slot =
        (from + static_cast<unsigned>(std::countr_zero(std::rotr(bits, static_cast<int>(from))))) &
        kDigitMask;
    std::uint64_t start = (now_ & ~(kSpan - 1)) | (std::uint64_t{slot} << shift);
    // At or below now's digit: the next rotation. Its entries lie in a
    // later block, so this never wraps past 2^64.
    if (slot <= own) start += kSpan;
    return Slot{level, slot, start};
  }
  return std::nullopt;
}

std::optional<std::uint64_t> TimerWheel::next_deadline() const {
  if (pending_ != nullptr) return now_;  // due already (the sink asks, or threw)
  if (auto slot = first_slot()) return slot->start;
  return std::nullopt;
}

void TimerWheel::collect(std::uint64_t t) {
  for (;;) {
    std::optional<Slot> slot = first_slot();
    if (!slot || slot->start > t) break;
    now_ = slot->start;  // at or after now_ (invariant 1)
    TimerEntry* list = slots_[slot->level][slot->index];
    slots_[slot->level][slot->index] = nullptr;
    occupied_[slot->level] &= ~(std::uint64_t{1} << slot->index);
    while (list != nullptr) {
      TimerEntry* e = list;
      list = e->next_;
      if (e->deadline_ > now_) {
        place(e);  // down a level, or (beyond the span) one rotation on
        continue;
      }
      // Due: to the back of the pending list, which keeps firing order.
      e->where_ = TimerEntry::kPending;
      e->next_ = nullptr;
      e->prev_ = pending_tail_;
      if (pending_tail_ != nullptr) {
        pending_tail_->next_ = e;
      } else {
        pending_ = e;
      }
      pending_tail_ = e;
    }
  }
  now_ = std::max(now_, t);
}

TimerEntry* TimerWheel::pop_pending() {
  TimerEntry* e = pending_;
  if (e == nullptr) return nullptr;
  unlink(e);
  --size_;
  return e;
}

}  // namespace runa::concurrency
