// verify_heap: a full check of the heap's structure, with the world stopped.
//
// It walks every space that holds objects (eden's allocated part, the
// survivor half, or both halves after a promotion failure (Nursery,
// "Kept"), each object block up to its top, skipping filler words,
// each large-object run), checking every header (live, registered type,
// size inside its space; for old and large objects the current mark
// polarity; lines marked, and each block's byte count), and collects the
// object starts. Then every reference, in
// every root and every object slot, must be 0, an immediate, or the start
// of one of those objects: a reference into free eden or the empty half
// (where every evacuated object was), or into a dead old object (now
// filler) or a released block, is a stale pointer. Last, the
// remembered-set invariant: an old object with kUnlogged set holds no young
// reference, and one with it clear is in the set the next minor collection
// scans (a mutator's buffer or `carried`); for a large reference array,
// the card invariants of cards.hpp instead. And the finalizers' entries
// (finalizers.hpp): each registered or pending object is a live object of a
// finalizable type, listed once, in the young list exactly when it is young.
//
// Verify mode also checks memory as it is handed out (verify_fresh): every
// large object and pinned object, and every TLAB of a mutator whose TLABs
// are zeroed whole (heap.cpp, "Zeroing"), must be all zero before its
// header is written, since the program is promised zeroed slots and bytes
// and nothing else would notice a block or hole handed out dirty (a poison
// word reads as an immediate to the walk above). Other TLABs hold old
// bytes; allocate() zeroes each object in them.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "memory/cards.hpp"
#include "memory/heap.hpp"
#include "memory/roots.hpp"

namespace runa::heap {
namespace {

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

class Verifier final : public RootVisitor {  // NOLINT(cppcoreguidelines-virtual-class-destructor)
 public:
  explicit Verifier(HeapImpl& h) : h_(h) {}

  std::optional<std::string> run() {
    h_.nursery.for_each_part(
        [&](std::uint8_t* p, const std::uint8_t* end) { walk_young(p, end, "the nursery"); });
    std::size_t large = 0;
    for (std::size_t i = 0, n = h_.blocks.frontier(); i < n && !problem_; ++i) {
      const BlockInfo& b = h_.blocks.info(i);
      std::uint8_t* start = h_.blocks.block(i);
      if (b.kind == BlockKind::kObjects) {
        walk_block(start, start + b.top);
        if (!problem_ && block_bytes_ != b.bytes) {
          problem_ = "block " + std::to_string(i) + " counts " + std::to_string(b.bytes) +
                     " object bytes but holds " + std::to_string(block_bytes_);
        }
      } else if (b.kind == BlockKind::kLargeHead) {
        std::size_t size = walk_one(start, start + b.run * kBlock, "a large-object run");
        if (size != 0) {
          check_polarity(reinterpret_cast<Object*>(start));
          check_card_table(reinterpret_cast<Object*>(start), size, b.run * kBlock);
        }
        ++large;
      }
    }
    if (problem_) return problem_;
    if (large != h_.large.objects().size()) {
      return "the large-object space lists " + std::to_string(h_.large.objects().size()) +
             " objects but " + std::to_string(large) + " block runs hold one";
    }
    std::sort(starts_.begin(), starts_.end());

    std::unordered_set<Object*> remembered;
    // A carded array is listed once (cards.hpp): two workers must not scan its cards.
    auto list = [&](const std::vector<Object*>& objects) {
      for (Object* o : objects) {
        if (!remembered.insert(o).second && (o->load_header() & hdr::kCarded) != 0) {
          problem_ = "carded " + describe(o) + " is in the remembered set twice";
        }
      }
    };
    list(h_.carried);
    for (MutatorRecord* m : h_.safepoint.mutators()) list(m->modified);
    if (problem_) return problem_;
    for (Object* o : starts_) {
      check_object(o, remembered);
      if (problem_) return problem_;
    }
    visit_roots(h_, *this);
    if (!problem_) check_finalizers();
    return problem_;
  }

  void visit(Value* slot) override {
    if (problem_) return;
    if (const char* why = bad(*slot)) bad_root(slot, why);
  }

 private:
  // The messages of the checks below that run for every object or root, at
  // every collection of the test modes, are made out of line: a frame that
  // builds a std::string costs a fake stack frame per call under ASan
  // (detect_stack_use_after_return), and the walks are called millions of
  // times.
  [[gnu::cold, gnu::noinline]] void bad_root(Value* slot, const char* why) {
    problem_ = "root slot " + hex(reinterpret_cast<std::uintptr_t>(slot)) + " holds " + hex(*slot) +
               ", " + why;
  }
  [[gnu::cold, gnu::noinline]] void bad_header(std::uint8_t* p, const char* space) {
    auto* o = reinterpret_cast<Object*>(p);
    std::uint64_t h = o->load_header();
    std::string at = "in " + std::string(space) + " at " + hex(reinterpret_cast<std::uintptr_t>(p));
    const Layout* l = h_.layouts.find(hdr::type_of(h));
    if ((h & hdr::kForwarded) != 0) {
      problem_ = "a forwarded header " + hex(h) + " " + at;
    } else if (l == nullptr) {
      problem_ = "header " + hex(h) + " " + at + " names no registered type";
    } else {
      problem_ = describe(o) + " " + at + " has size " + std::to_string(object_size(*l, o)) +
                 ", which does not fit its space";
    }
  }
  [[gnu::cold, gnu::noinline]] void bad_line(std::uint8_t* p, std::size_t line, std::size_t block) {
    problem_ = describe(reinterpret_cast<Object*>(p)) + " covers line " + std::to_string(line) +
               " of block " + std::to_string(block) + ", which is not marked in use";
  }
  [[gnu::cold, gnu::noinline]] void bad_slot(Object* o, std::ptrdiff_t slot, Value v,
                                             const char* why) {
    problem_ = describe(o) + " slot " + std::to_string(slot) + " holds " + hex(v) + ", " + why;
  }
  [[gnu::cold, gnu::noinline]] void bad_old(Object* o, const char* what) {
    problem_ = "old " + describe(o) + " " + what;
  }

  std::string describe(Object* o) const {
    std::uint32_t t = hdr::type_of(o->load_header());
    const Layout* l = h_.layouts.find(t);
    return "object " + hex(reinterpret_cast<std::uintptr_t>(o)) + " (type " +
           (l != nullptr ? "'" + std::string(l->name) + "' " : "") + "#" + std::to_string(t) + ")";
  }

  // One object at p, which must end by `end`; its size, or 0 after a problem.
  std::size_t walk_one(std::uint8_t* p, const std::uint8_t* end, const char* space) {
    auto* o = reinterpret_cast<Object*>(p);
    std::uint64_t h = o->load_header();
    const Layout* l = (h & hdr::kForwarded) != 0 ? nullptr : h_.layouts.find(hdr::type_of(h));
    std::size_t n = l != nullptr ? object_size(*l, o) : 0;
    if (n < 8 || n % 8 != 0 || n > static_cast<std::size_t>(end - p)) {
      bad_header(p, space);
      return 0;
    }
    starts_.push_back(o);
    return n;
  }

  // Eden holds objects and the unused, still zero, tails of TLABs; the
  // survivor half, objects and the zeroed tails of the collector workers'
  // buffers: a zero word there is skipped.
  void walk_young(std::uint8_t* p, const std::uint8_t* end, const char* space) {
    while (p < end && !problem_) {
      if (reinterpret_cast<Object*>(p)->load_header() == 0) {
        p += 8;
        continue;
      }
      std::size_t n = walk_one(p, end, space);
      if (n == 0) return;
      p += n;
    }
  }

  // Old and large objects carry the current mark polarity (heap.hpp).
  void check_polarity(Object* o) {
    if ((o->load_header() & hdr::kMark) != h_.mark_bit()) {
      bad_old(o, "has a mark bit of the previous polarity");
    }
  }

  // An old block up to its top: objects, and filler words in its free parts.
  void walk_block(std::uint8_t* p, std::uint8_t* end) {
    block_bytes_ = 0;
    while (p < end && !problem_) {
      if (is_filler(reinterpret_cast<Object*>(p)->load_header())) {
        p += 8;
        continue;
      }
      std::size_t n = walk_one(p, end, "an old block");
      if (n == 0) return;
      block_bytes_ += n;
      check_polarity(reinterpret_cast<Object*>(p));
      std::size_t i = h_.blocks.index_of(p);
      auto off = static_cast<std::size_t>(p - h_.blocks.block(i));
      for (std::size_t l = off / kLine; l <= (off + n - 1) / kLine; ++l) {
        if (h_.blocks.info(i).lines[l] == 0) {
          bad_line(p, l, i);
          return;
        }
      }
      p += n;
    }
  }

  // Why v is not a valid value word, or nullptr.
  const char* bad(Value v) {
    if (!is_ref(v)) return nullptr;
    Object* p = as_object(v);
    if (h_.nursery.contains(p)) {
      if (!h_.nursery.holds(p)) return "in evacuated nursery space (free eden or the empty half)";
    } else if (!h_.blocks.contains(p)) {
      return "outside the heap";
    }
    if (!std::binary_search(starts_.begin(), starts_.end(), p)) {
      return "which is not the start of an object";
    }
    return nullptr;
  }

  void check_object(Object* o, const std::unordered_set<Object*>& remembered) {
    RefRange r = ref_slots(h_.layouts.at(hdr::type_of(o->load_header())), o);
    bool young_ref = false;
    for (Value* s = r.begin; s < r.end && !problem_; ++s) {
      if (const char* why = bad(*s)) bad_slot(o, s - r.begin, *s, why);
      young_ref = young_ref || (is_ref(*s) && h_.nursery.contains(as_object(*s)));
    }
    if (problem_ || h_.nursery.contains(o)) return;
    if ((o->load_header() & hdr::kCarded) != 0) {
      check_cards(o, remembered);
      return;
    }
    bool unlogged = (o->load_header() & hdr::kUnlogged) != 0;
    if (unlogged && young_ref) {
      bad_old(o, "holds a young reference but is not logged");
    } else if (!unlogged && !remembered.contains(o)) {
      bad_old(o, "is logged but in no remembered buffer");
    }
  }

  // A carded object is a reference array whose card table fits its run.
  void check_card_table(Object* o, std::size_t size, std::size_t run) {
    std::uint64_t h = o->load_header();
    if ((h & hdr::kCarded) == 0) return;
    if (h_.layouts.at(hdr::type_of(h)).kind != LayoutKind::kRefArray) {
      problem_ = describe(o) + " is carded but not a reference array";
    } else if ((h & hdr::kUnlogged) == 0) {
      problem_ = "carded " + describe(o) + " has kUnlogged clear";
    } else if (size + cards::table_bytes(array_length(o)) > run) {
      problem_ = "the card table of " + describe(o) + " does not fit its run";
    } else if (cards::table(o).count != cards::card_count(array_length(o))) {
      problem_ = "the card table of " + describe(o) + " counts " +
                 std::to_string(cards::table(o).count) + " cards for " +
                 std::to_string(array_length(o)) + " elements";
    }
  }

  // The card invariants (cards.hpp): a young element is on a dirty card,
  // a dirty card makes the array remembered, and it is remembered exactly
  // when it is in the remembered set.
  void check_cards(Object* o, const std::unordered_set<Object*>& remembered) {
    cards::Table& t = cards::table(o);
    Value* e = array_slots(o);
    bool dirty = false;
    for (std::size_t i = 0, n = array_length(o); i < n && !problem_; ++i) {
      std::uint8_t card = t.cards()[i >> cards::kCardShift];
      dirty = dirty || card != 0;
      if (card == 0 && is_ref(e[i]) && h_.nursery.contains(as_object(e[i]))) {
        problem_ = "old " + describe(o) + " element " + std::to_string(i) +
                   " holds a young reference on a clean card";
      }
    }
    if (problem_) return;
    bool flagged = t.remembered != 0;
    if (dirty && !flagged) {
      problem_ = "carded " + describe(o) + " has dirty cards but is not remembered";
    } else if (flagged != remembered.contains(o)) {
      problem_ = "carded " + describe(o) +
                 (flagged ? " is remembered but in no remembered buffer"
                          : " is in a remembered buffer, not flagged");
    }
  }

  void check_finalizers() {
    std::unordered_set<Object*> seen;
    h_.finalizers.for_each([&](Object* o, Finalizers::List list) {
      if (problem_) return;
      const char* names[] = {"young registry", "old registry", "pending queue"};
      std::string at = std::string("the finalizers' ") + names[static_cast<int>(list)] + " holds ";
      Value v = ref_value(o);
      if (!is_ref(v)) {
        problem_ = at + hex(v) + ", which is not a reference";
      } else if (const char* why = bad(v)) {
        problem_ = at + hex(v) + ", " + why;
      } else if (!h_.layouts.at(hdr::type_of(o->load_header())).finalizable) {
        problem_ = at + describe(o) + ", which is not of a finalizable type";
      } else if (list != Finalizers::List::kPending &&
                 (list == Finalizers::List::kYoung) != h_.nursery.contains(o)) {
        problem_ = at + describe(o) + ", which is " + (h_.nursery.contains(o) ? "young" : "old");
      } else if (!seen.insert(o).second) {
        problem_ = at + describe(o) + ", listed a second time";
      }
    });
  }

  HeapImpl& h_;
  std::vector<Object*> starts_;
  std::size_t block_bytes_ = 0;  // object bytes seen by the last walk()
  std::optional<std::string> problem_;
};

}  // namespace

std::optional<std::string> verify_heap(HeapImpl& h) {
  std::lock_guard lock(h.carried_mu);
  return Verifier(h).run();
}

void verify_fresh(const std::uint8_t* p, std::size_t n, const char* what) {
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p + i, std::min<std::size_t>(8, n - i));
    if (word == 0) continue;
    std::fprintf(stderr,
                 "runatime: verify: fresh %s memory at %p is not zero (word %s at offset %zu of "
                 "%zu)\n",
                 what, static_cast<const void*>(p), hex(word).c_str(), i, n);
    std::abort();
  }
}

}  // namespace runa::heap
