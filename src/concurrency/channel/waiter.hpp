// Waiter and WaitList: how threads wait for a channel to become ready —
// for one channel (send, receive) or for the first of several (select).
//
// A Waiter belongs to one waiting thread and may sit in several WaitLists
// at once (one per channel a select watches). `selected` is claimed once,
// by CAS, by the first notifier that picks this waiter: it records which
// list woke it, and a second notifier that finds the waiter already claimed
// skips it and wakes the next one instead, so a notification is never
// spent on a thread that will not act on it.
//
// No lost wake-up (rule for every user of a WaitList): the waiting side
// registers its Waiter, then (seq_cst fence) tries the operation once more
// before it parks; the side that makes the operation possible changes the
// queue, then checks `waiting()` (a seq_cst load) and notifies. The change
// must be ordered before that load: a seq_cst fence between them, or a
// change that is itself a seq_cst read-modify-write (the channels' claims,
// array_queue.hpp) — then the retry must judge by that RMW's location, as
// a plain store after it may still be invisible when the load is made.
// Either the waiter's retry sees the change, or the notifier sees the
// registration.
// A waiter that was claimed but then took its item elsewhere (another case
// of its select, or the retry) passes the notification on (notify_one on
// that list), so the item it did not take still wakes someone.
//
// Lifetime: a Waiter lives in its thread's frame (or its task's coroutine
// frame). Claims happen under the list's lock. A thread's unpark follows
// outside the lock, so a thread leaving must (1) remove itself from every
// list (taking each lock: after that no new claim can come) and (2) if it
// finds itself claimed, park once more to absorb the unpark that is on its
// way, before its frame is gone. A task is woken under the lock instead
// (TaskRecord::wake only queues it), so once it has removed itself nothing
// can still reach its record. A program's task (the bridge's scheduler,
// owned by another thread) is woken the same way, under the lock, through
// `wake_remote`, which only hands its number to that scheduler's inbox.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <vector>

#include "concurrency/executor/record.hpp"
#include "concurrency/sync/mutex.hpp"
#include "concurrency/sync/parker.hpp"

namespace runa::concurrency {

struct Waiter {
  static constexpr int kNone = -1;
  std::atomic<int> selected{kNone};          // the tag of the list that claimed it
  Parker parker;                             // a blocked thread waits here...
  TaskRecord* task = nullptr;                // ...or a suspended task is woken...
  void (*wake_remote)(void* arg) = nullptr;  // ...or this is called, under the lock
  void* wake_arg = nullptr;

  bool try_claim(int tag) {
    int none = kNone;
    return selected.compare_exchange_strong(none, tag, std::memory_order_acq_rel);
  }
  // Wakes a task at once (under the list's lock); false for a thread,
  // which is unparked after the lock.
  [[nodiscard]] bool wake_under_lock() const {
    if (task != nullptr) {
      task->wake();
    } else if (wake_remote != nullptr) {
      wake_remote(wake_arg);
    } else {
      return false;
    }
    return true;
  }
};

class WaitList {
 public:
  // Whether any thread is registered (a hint, read after the fence above).
  [[nodiscard]] bool waiting() const { return count_.load(std::memory_order_seq_cst) != 0; }

  // `tag` is what a claim writes into the waiter's `selected`.
  void add(Waiter* w, int tag) {
    std::lock_guard lock(mu_);
    entries_.push_back({w, tag});
    count_.store(entries_.size(), std::memory_order_seq_cst);
  }
  void remove(Waiter* w) {
    std::lock_guard lock(mu_);
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [w](const Entry& e) { return e.waiter == w; });
    if (it != entries_.end()) entries_.erase(it);
    count_.store(entries_.size(), std::memory_order_seq_cst);
  }

  // Claims and wakes the longest-waiting unclaimed waiter, if any.
  void notify_one() {
    Waiter* woken = nullptr;
    {
      std::lock_guard lock(mu_);
      for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->waiter->try_claim(it->tag)) {
          woken = it->waiter;
          entries_.erase(it);
          break;
        }
      }
      count_.store(entries_.size(), std::memory_order_seq_cst);
      if (woken != nullptr && woken->wake_under_lock()) woken = nullptr;
    }
    if (woken != nullptr) woken->parker.unpark();
  }
  // Claims and wakes every waiter (the channel closed). Claims are made
  // under the lock, as in notify_one, so that a waiter that removes itself
  // and then finds itself unclaimed knows no claim can still come.
  void notify_all() {
    std::vector<Waiter*> claimed;
    {
      std::lock_guard lock(mu_);
      for (const Entry& e : entries_) {
        if (!e.waiter->try_claim(e.tag)) continue;
        if (!e.waiter->wake_under_lock()) claimed.push_back(e.waiter);
      }
      entries_.clear();
      count_.store(0, std::memory_order_seq_cst);
    }
    for (Waiter* w : claimed) w->parker.unpark();
  }

 private:
  struct Entry {
    Waiter* waiter;
    int tag;
  };
  Mutex mu_;
  std::vector<Entry> entries_;  // FIFO: the oldest waiter is woken first
  std::atomic<std::size_t> count_{0};
};

}  // namespace runa::concurrency
