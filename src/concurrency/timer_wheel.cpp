#include "concurrency/timer_wheel.hpp"

#include <bit>

namespace runa::concurrency {
namespace {

constexpr std::uint64_t kSpan = std::uint64_t{1} << TimerWheel::kSpanBits;

unsigned digit(std::uint64_t t, unsigned level) {
  return static_cast<unsigned>(t >> (level * TimerWheel::kBits)) & (TimerWheel::kSlots - 1);
}

// The first set bit of `bits` at or after `from` (no wrap-around: occupied
// slots of a level are never below now's digit, by the invariant).
int first_bit_from(std::uint64_t bits, unsigned from) {
  std::uint64_t above = bits & (~std::uint64_t{0} << from);
  return above == 0 ? -1 : std::countr_zero(above);
}

}  // namespace

void TimerWheel::place(TimerEntry* e) {
  std::uint64_t d = e->deadline_ < now_ ? now_ : e->deadline_;
  std::uint64_t differ = d ^ now_;
  unsigned level = differ == 0 ? 0 : static_cast<unsigned>(63 - std::countl_zero(differ)) / kBits;
  TimerEntry** head = nullptr;
  if (level >= kLevels) {
    e->where_ = TimerEntry::kOverflow;
    head = &overflow_;
  } else {
    unsigned slot = digit(d, level);
    e->where_ = static_cast<std::uint16_t>(level * kSlots + slot);
    head = &slots_[level][slot];
    occupied_[level] |= std::uint64_t{1} << slot;
  }
  e->prev_ = nullptr;
  e->next_ = *head;
  if (*head != nullptr) (*head)->prev_ = e;
  *head = e;
}

void TimerWheel::unlink(TimerEntry* e) {
  TimerEntry** head = nullptr;
  unsigned level = 0;
  unsigned slot = 0;
  if (e->where_ == TimerEntry::kOverflow) {
    head = &overflow_;
  } else {
    level = e->where_ / kSlots;
    slot = e->where_ % kSlots;
    head = &slots_[level][slot];
  }
  if (e->prev_ != nullptr) {
    e->prev_->next_ = e->next_;
  } else {
    *head = e->next_;
  }
  if (e->next_ != nullptr) e->next_->prev_ = e->prev_;
  if (e->where_ != TimerEntry::kOverflow && *head == nullptr) {
    occupied_[level] &= ~(std::uint64_t{1} << slot);
  }
  e->prev_ = e->next_ = nullptr;
  e->where_ = TimerEntry::kNowhere;
}

void TimerWheel::arm(TimerEntry* e, std::uint64_t deadline) {
  if (e->armed()) {
    unlink(e);
    --size_;
  }
  e->deadline_ = deadline;
  place(e);
  ++size_;
}

bool TimerWheel::cancel(TimerEntry* e) {
  if (!e->armed()) return false;
  unlink(e);
  --size_;
  return true;
}

std::optional<TimerWheel::Slot> TimerWheel::first_slot() const {
  for (unsigned level = 0; level < kLevels; ++level) {
    if (occupied_[level] == 0) continue;
    int s = first_bit_from(occupied_[level], digit(now_, level));
    if (s < 0) continue;  // (cannot happen while the invariant holds)
    unsigned shift = level * kBits;
    // now_ with digits at and below `level` cleared, then digit `level` = s.
    std::uint64_t base = shift + kBits >= 64 ? 0 : now_ >> (shift + kBits) << (shift + kBits);
    return Slot{level, static_cast<unsigned>(s), base | (static_cast<std::uint64_t>(s) << shift)};
  }
  return std::nullopt;
}

std::optional<std::uint64_t> TimerWheel::next_deadline() const {
  std::optional<std::uint64_t> best;
  if (auto slot = first_slot()) best = slot->start < now_ ? now_ : slot->start;
  for (TimerEntry* e = overflow_; e != nullptr; e = e->next_) {
    if (!best || e->deadline_ < *best) best = e->deadline_;
  }
  return best;
}

TimerEntry* TimerWheel::collect(std::uint64_t t) {
  TimerEntry* due = nullptr;
  TimerEntry** due_tail = &due;
  if (t < now_) t = now_;
  for (;;) {
    // Never past the end of now's 2^36 block in one step: the overflow list
    // is placed again at each block boundary.
    std::uint64_t block_end = (now_ | (kSpan - 1));
    std::uint64_t limit = t < block_end ? t : block_end;
    while (auto slot = first_slot()) {
      if (slot->start > limit) break;
      if (slot->start > now_) now_ = slot->start;
      TimerEntry* list = slots_[slot->level][slot->index];
      slots_[slot->level][slot->index] = nullptr;
      occupied_[slot->level] &= ~(std::uint64_t{1} << slot->index);
      while (list != nullptr) {
        TimerEntry* e = list;
        list = e->next_;
        if (e->deadline_ <= now_) {
          e->where_ = TimerEntry::kNowhere;
          e->prev_ = nullptr;
          e->next_ = nullptr;
          *due_tail = e;
          due_tail = &e->next_;
          --size_;
        } else {
          place(e);  // cascade to a lower level
        }
      }
    }
    if (t <= block_end) {
      now_ = t;
      break;
    }
    // The wheel is empty now. Jump to the block of t or of the earliest
    // overflow deadline, whichever comes first, and place the overflow
    // entries again: those of that block fit in the wheel.
    std::uint64_t next = t;
    for (TimerEntry* e = overflow_; e != nullptr; e = e->next_) {
      if (e->deadline_ < next) next = e->deadline_;
    }
    std::uint64_t next_block = next & ~(kSpan - 1);
    now_ = next_block > block_end ? next_block : block_end + 1;
    TimerEntry* far = overflow_;
    overflow_ = nullptr;
    while (far != nullptr) {
      TimerEntry* e = far;
      far = e->next_;
      place(e);
    }
  }
  return due;
}

}  // namespace runa::concurrency
