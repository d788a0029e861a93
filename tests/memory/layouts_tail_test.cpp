// Tailed layouts (fixed fields plus a variable tail) in every collector
// phase: registration, geometry, minor and major collections (evacuation
// included), verification, poisoning, the stress modes, objects born old,
// and the C++ descriptor link.
//
// The shapes are the ones the types part needs: a String (length word,
// cached hash as a raw word, UTF-8 bytes) and a closure (a function
// reference, then n cells).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>

#include "heap_fixture.hpp"
#include "memory/heap.hpp"

namespace runa::heap::testing {
namespace {

// A raw word that looks like a reference (low bits 0): a collector that
// took the String's hash for a reference slot would follow it and crash or
// fail verification.
constexpr std::uint64_t kRefLookingHash = 0x00000dead0000000ULL;

constexpr std::uint32_t kStringSize = 24;   // header, length, hash
constexpr std::uint32_t kClosureSize = 24;  // header, length, function

int descriptor_tag = 0;  // its address is the String layout's descriptor

struct TailedHeap : TestHeap {
  explicit TailedHeap(const Options& o = small_options()) : TestHeap(o) {
    Layout s;
    s.kind = LayoutKind::kByteTail;
    s.size = kStringSize;
    s.name = "String";
    s.descriptor = &descriptor_tag;
    string = heap->register_layout(s).value();
    Layout c;
    c.kind = LayoutKind::kRefTail;
    c.size = kClosureSize;
    c.refs = 1;
    c.name = "Closure";
    closure = heap->register_layout(c).value();
  }

  Object* new_string(std::string_view text) const {
    Object* o = allocate_array(*m, string, byte_tail_bytes(kStringSize, text.size()), text.size());
    if (o != nullptr) {
      tail_fields(o)[0] = kRefLookingHash + text.size();
      std::memcpy(tail_start(o, kStringSize), text.data(), text.size());
    }
    return o;
  }
  static std::string text_of(Object* o) {
    return {reinterpret_cast<const char*>(tail_start(o, kStringSize)),
            static_cast<std::size_t>(array_length(o))};
  }
  // A closure of n cells, every cell 0 and the function slot too.
  Object* new_closure(std::size_t n) const {
    return allocate_array(*m, closure, ref_tail_bytes(kClosureSize, n), n);
  }
  static Value* cells(Object* c) { return tail_fields(c) + 1; }

  std::uint32_t string = 0;
  std::uint32_t closure = 0;
};

TEST(TailedLayouts, RegistrationChecksTheFixedPart) {
  Layouts ls;
  Layout l;
  l.kind = LayoutKind::kRefTail;
  l.size = 32;
  l.refs = 1;
  l.name = "c";
  auto e = ls.add(l);  // a raw word between the fields and the tail
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("size must be 24"), std::string::npos) << e.error().message;
  l.size = 24;
  EXPECT_TRUE(ls.add(l).ok());
  l.size = 16;
  e = ls.add(l);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("the length word"), std::string::npos) << e.error().message;

  Layout b;
  b.kind = LayoutKind::kByteTail;
  b.size = 8;  // no room for the length word
  e = ls.add(b);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("cannot hold"), std::string::npos) << e.error().message;
  b.size = 20;
  EXPECT_FALSE(ls.add(b).ok());
  b.size = 40;  // raw words are fine before a byte tail
  b.refs = 2;
  EXPECT_TRUE(ls.add(b).ok());
  b.size = 16;  // the limit: a length word and nothing else
  b.refs = 0;
  EXPECT_TRUE(ls.add(b).ok());
}

TEST(TailedLayouts, SizesAndReferenceSlots) {
  alignas(8) std::uint64_t words[16] = {};
  auto* o = reinterpret_cast<Object*>(words);
  words[1] = 3;  // length

  Layout c;
  c.kind = LayoutKind::kRefTail;
  c.size = 32;
  c.refs = 2;
  EXPECT_EQ(object_size(c, o), 32u + 24u);
  RefRange r = ref_slots(c, o);
  EXPECT_EQ(r.begin, o->slots() + 1);  // after the length word
  EXPECT_EQ(r.end - r.begin, 2 + 3);   // the fields, then the tail

  Layout s;
  s.kind = LayoutKind::kByteTail;
  s.size = 40;
  s.refs = 1;
  words[1] = 9;
  EXPECT_EQ(object_size(s, o), 40u + 16u);
  r = ref_slots(s, o);
  EXPECT_EQ(r.begin, o->slots() + 1);
  EXPECT_EQ(r.end - r.begin, 1);  // raw words and bytes are not scanned
  words[1] = 0;
  EXPECT_EQ(object_size(s, o), 40u);
  EXPECT_TRUE(may_hold_refs(Layout{LayoutKind::kRefTail, 16, 0}));
  EXPECT_FALSE(may_hold_refs(Layout{LayoutKind::kByteTail, 16, 0}));
}

TEST(TailedLayouts, SurviveMinorCollections) {
  TailedHeap t;
  HandleScope scope(*t.m);
  Handle s(*t.m, t.new_string("héllo, wörld"));  // 14 bytes of UTF-8
  Handle c(*t.m, t.new_closure(5));
  // The function slot (here any reference), then the cells.
  write(*t.m, c.get(), tail_fields(c.get()), s.value());
  for (std::size_t i = 0; i < 5; ++i) {
    Object* cell = t.new_node(0, 100 + i);
    write(*t.m, c.get(), TailedHeap::cells(c.get()) + i, ref_value(cell));
  }
  std::string text = "héllo, wörld";
  for (int round = 0; round < 4; ++round) {  // survivor copies, then promotion
    ASSERT_TRUE(t.heap->collect(*t.m));
    ASSERT_EQ(array_length(c.get()), 5u);
    EXPECT_EQ(tail_fields(c.get())[0], s.value());
    for (std::size_t i = 0; i < 5; ++i) {
      Value cell = TailedHeap::cells(c.get())[i];
      ASSERT_TRUE(is_ref(cell));
      EXPECT_EQ(TestHeap::node_id(as_object(cell), 0), 100 + i);
    }
    EXPECT_EQ(TailedHeap::text_of(s.get()), text);
    EXPECT_EQ(tail_fields(s.get())[0], kRefLookingHash + text.size());
    EXPECT_EQ(t.heap->object_size(s.get()), byte_tail_bytes(kStringSize, text.size()));
  }
  EXPECT_TRUE(t.old(c.get()));  // allocated young: copied at least once
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(TailedLayouts, AnOldClosureKeepsAYoungCellAlive) {
  TailedHeap t;
  HandleScope scope(*t.m);
  Handle c(*t.m, t.new_closure(3));
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.old(c.get()));
  // Through the barrier: the tail's slots are reference slots of c.
  write(*t.m, c.get(), TailedHeap::cells(c.get()) + 2, ref_value(t.new_node(0, 9)));
  ASSERT_TRUE(t.heap->collect(*t.m));
  Value cell = TailedHeap::cells(c.get())[2];
  ASSERT_TRUE(is_ref(cell));
  EXPECT_EQ(TestHeap::node_id(as_object(cell), 0), 9u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// A closure with no fixed reference field, born old (large): its cells are
// filled with initialising stores, so only its being remembered at birth
// keeps their young referents alive. Failed before may_hold_refs: the
// barrier took a layout with refs == 0 for one without reference slots.
TEST(TailedLayouts, ALargeRefTailWithoutFieldsIsBornRemembered) {
  TailedHeap t;
  Layout l;
  l.kind = LayoutKind::kRefTail;
  l.size = 16;
  l.name = "cells";
  std::uint32_t cells = t.heap->register_layout(l).value();
  HandleScope scope(*t.m);
  std::size_t n = kLargeObject / 8;
  Handle node(*t.m, t.new_node(0, 42));
  Handle big(*t.m, allocate_array(*t.m, cells, ref_tail_bytes(16, n), n));
  ASSERT_NE(big.get(), nullptr);
  ASSERT_FALSE(t.young(big.get()));
  tail_fields(big.get())[n - 1] = node.value();  // nothing collects since the allocation
  node.set(0);
  ASSERT_TRUE(t.heap->collect(*t.m));
  Value v = tail_fields(big.get())[n - 1];
  ASSERT_TRUE(is_ref(v));
  EXPECT_EQ(TestHeap::node_id(as_object(v), 0), 42u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(TailedLayouts, MajorCollectionsEvacuateThem) {
  RUNA_SKIP_UNDER_TEST_MODES("checks which blocks objects are in");
  Options o = small_options();
  o.promotion_age = 1;
  o.log = true;
  TailedHeap t(o);
  HandleScope scope(*t.m);
  std::size_t n = 8000;
  // Closures of (i % 5) cells, each cell a String naming i.
  Handle arr = fragmented_old_nodes(t, n, [&](std::size_t i) -> Object* {
    HandleScope inner(*t.m);
    Handle c(*t.m, t.new_closure(i % 5));
    for (std::size_t k = 0; k < i % 5; ++k) {
      Object* s = t.new_string(std::to_string(i));
      if (s == nullptr) return nullptr;
      write(*t.m, c.get(), TailedHeap::cells(c.get()) + k, ref_value(s));
    }
    return c.get();
  });
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_TRUE(t.heap->collect(*t.m, true));  // finds the blocks fragmented
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(" evacuated "), std::string::npos) << err;
  for (std::size_t i = 64; i < n; i += 64) {
    Object* c = as_object(array_slots(arr.get())[i]);
    ASSERT_EQ(array_length(c), i % 5);
    for (std::size_t k = 0; k < i % 5; ++k) {
      EXPECT_EQ(TailedHeap::text_of(as_object(TailedHeap::cells(c)[k])), std::to_string(i));
    }
  }
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(TailedLayouts, VerificationReadsTheTail) {
  TailedHeap t;
  HandleScope scope(*t.m);
  Handle c(*t.m, t.new_closure(4));
  Handle s(*t.m, t.new_string("0123456789abcdef"));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  // A reference into the middle of the String's bytes: no object starts
  // there. Only a verifier that reads the last cell sees it.
  TailedHeap::cells(c.get())[3] = ref_value(s.get()) + 24;
  auto problem = t.heap->verify(*t.m);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("Closure"), std::string::npos) << *problem;
  TailedHeap::cells(c.get())[3] = 0;
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(TailedLayouts, EvacuatedCopiesArePoisonedAndTheTailCopied) {
  Options o = small_options();
  o.poison = true;
  TailedHeap t(o);
  HandleScope scope(*t.m);
  std::string text(300, 'x');
  Object* before = t.new_string(text);
  Handle s(*t.m, before);
  ASSERT_TRUE(t.heap->collect(*t.m));
  std::uint64_t last = 0;  // the old copy's last word, inside the tail
  std::memcpy(&last, reinterpret_cast<std::uint8_t*>(before) + byte_tail_bytes(24, 300) - 8, 8);
  EXPECT_EQ(last, 0xdeadbeefdeadbeefULL);
  EXPECT_EQ(TailedHeap::text_of(s.get()), text);
}

TEST(TailedLayouts, StressEveryAllocationWithVerifyAndPoison) {
  RUNA_SKIP_UNDER_TEST_MODES("sets the test modes itself");
  Options o = small_options();
  o.stress_every = 1;
  o.verify = true;
  o.poison = true;
  TailedHeap t(o);
  HandleScope scope(*t.m);
  // A chain of closures: cell 0 the previous closure, cell 1 a String.
  Handle head(*t.m, Value{0});
  for (std::size_t i = 0; i < 300; ++i) {
    Handle c(*t.m, t.new_closure(2 + i % 3));
    ASSERT_NE(c.get(), nullptr);
    write(*t.m, c.get(), TailedHeap::cells(c.get()), head.value());
    Object* s = t.new_string(std::string(i % 40, static_cast<char>('a' + i % 26)));
    ASSERT_NE(s, nullptr);
    write(*t.m, c.get(), TailedHeap::cells(c.get()) + 1, ref_value(s));
    head.set(c.value());
  }
  std::size_t i = 300;
  for (Value v = head.value(); v != 0; v = TailedHeap::cells(as_object(v))[0]) {
    --i;
    Object* c = as_object(v);
    ASSERT_EQ(array_length(c), 2 + i % 3);
    EXPECT_EQ(TailedHeap::text_of(as_object(TailedHeap::cells(c)[1])),
              std::string(i % 40, static_cast<char>('a' + i % 26)));
  }
  EXPECT_EQ(i, 0u);
}

TEST(TailedLayouts, TheDescriptorIsReadFromTheObject) {
  TailedHeap t;
  HandleScope scope(*t.m);
  Handle s(*t.m, t.new_string("x"));
  Handle c(*t.m, t.new_closure(0));
  ASSERT_TRUE(t.heap->collect(*t.m));  // moved: the header's type index still names it
  EXPECT_EQ(t.heap->descriptor_of(s.get()), &descriptor_tag);
  EXPECT_EQ(t.heap->descriptor_of(c.get()), nullptr);
}

}  // namespace
}  // namespace runa::heap::testing
