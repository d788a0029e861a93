// Layouts: registration checks and object geometry.
#include <gtest/gtest.h>

#include "memory/layouts.hpp"

namespace runa::heap {
namespace {

Layout plain(std::uint32_t size, std::uint32_t refs) {
  Layout l;
  l.size = size;
  l.refs = refs;
  l.name = "t";
  return l;
}

TEST(Layouts, IndicesStartAtOne) {
  Layouts ls;
  EXPECT_EQ(ls.find(0), nullptr);
  auto t = ls.add(plain(24, 1));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 1u);
  EXPECT_EQ(*ls.add(plain(8, 0)), 2u);
  ASSERT_NE(ls.find(1), nullptr);
  EXPECT_EQ(ls.find(1)->size, 24u);
  EXPECT_EQ(ls.find(3), nullptr);
}

TEST(Layouts, CopiesTheName) {
  Layouts ls;
  std::string name = "Point";
  Layout l = plain(24, 2);
  l.name = name.c_str();
  std::uint32_t t = *ls.add(l);
  name = "changed";
  EXPECT_STREQ(ls.find(t)->name, "Point");
}

TEST(Layouts, RejectsWhatCannotBeScanned) {
  Layouts ls;
  auto e = ls.add(plain(20, 0));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("multiple of 8"), std::string::npos);
  e = ls.add(plain(16, 2));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("cannot hold"), std::string::npos);

  Layout w = plain(16, 0);
  w.kind = LayoutKind::kWeakRef;
  e = ls.add(w);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("referent"), std::string::npos);

  Layout eph = plain(24, 1);
  eph.kind = LayoutKind::kEphemeron;
  e = ls.add(eph);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("key and value"), std::string::npos);

  Layout f = plain(16, 1);
  f.finalizable = true;
  e = ls.add(f);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("needs a finalizer"), std::string::npos);
  f.finalizable = false;
  f.finalizer = [](Mutator&, Value*) {};
  e = ls.add(f);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("not finalizable"), std::string::npos);
  f.finalizable = true;
  EXPECT_TRUE(ls.add(f).ok());

  Layout k = plain(16, 1);
  k.kind = static_cast<LayoutKind>(9);
  e = ls.add(k);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("unknown layout kind 9"), std::string::npos);
  EXPECT_EQ(e.error().section, "layout");
}

TEST(Layouts, SizesAndReferenceSlots) {
  alignas(8) std::uint64_t words[8] = {};
  auto* o = reinterpret_cast<Object*>(words);

  Layout p = plain(40, 2);
  EXPECT_EQ(object_size(p, o), 40u);
  RefRange r = ref_slots(p, o);
  EXPECT_EQ(r.begin, o->slots());
  EXPECT_EQ(r.end - r.begin, 2);

  Layout a;
  a.kind = LayoutKind::kRefArray;
  words[1] = 5;  // length
  EXPECT_EQ(object_size(a, o), 16u + 40u);
  r = ref_slots(a, o);
  EXPECT_EQ(r.begin, o->slots() + 1);
  EXPECT_EQ(r.end - r.begin, 5);

  Layout b;
  b.kind = LayoutKind::kByteArray;
  words[1] = 9;
  EXPECT_EQ(object_size(b, o), 16u + 16u);
  r = ref_slots(b, o);
  EXPECT_EQ(r.begin, r.end);

  Layout w = plain(24, 2);
  w.kind = LayoutKind::kWeakRef;
  r = ref_slots(w, o);
  EXPECT_EQ(r.end - r.begin, 2);  // the weak slot is a reference slot too
}

}  // namespace
}  // namespace runa::heap
