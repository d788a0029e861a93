// The event loop's request slab: keys are never 0, a released record's key
// finds nothing (also after the record is reused), records keep their
// address while the table grows, and released records are reused before
// the table grows again.
#include "io/request_table.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace runa::io {
namespace {

TEST(RequestTable, KeysAreNonZeroAndStaleKeysFindNothing) {
  RequestTable t;
  Request& a = t.acquire();
  a.kind = RequestKind::kReadiness;
  const std::uint64_t key = a.op.key;
  EXPECT_NE(key, 0U);
  EXPECT_EQ(t.find(key), &a);
  EXPECT_EQ(t.live(), 1U);
  t.release(a);
  EXPECT_EQ(t.find(key), nullptr);
  EXPECT_EQ(t.live(), 0U);
  Request& b = t.acquire();  // the same record, a new generation
  b.kind = RequestKind::kCompletion;
  EXPECT_EQ(&b, &a);
  EXPECT_NE(b.op.key, key);
  EXPECT_EQ(t.find(key), nullptr);
  EXPECT_EQ(t.find(b.op.key), &b);
  EXPECT_EQ(t.find(0), nullptr);
  EXPECT_EQ(t.find(0xffff'ffff'ffff'ffffULL), nullptr);
}

TEST(RequestTable, RecordsStayInPlaceWhileTheTableGrows) {
  RequestTable t;
  std::vector<Request*> held;
  std::vector<std::uint64_t> keys;
  for (int i = 0; i < 1000; ++i) {
    Request& r = t.acquire();
    r.kind = RequestKind::kReadiness;
    held.push_back(&r);
    keys.push_back(r.op.key);
  }
  std::set<std::uint64_t> distinct(keys.begin(), keys.end());
  EXPECT_EQ(distinct.size(), keys.size());
  for (std::size_t i = 0; i < held.size(); ++i) EXPECT_EQ(t.find(keys[i]), held[i]);
  int visited = 0;
  t.for_each_live([&](Request&) { ++visited; });
  EXPECT_EQ(visited, 1000);
  for (Request* r : held) t.release(*r);
  EXPECT_EQ(t.live(), 0U);
  // Released records come back before any new chunk is made.
  std::set<Request*> before(held.begin(), held.end());
  for (int i = 0; i < 1000; ++i) {
    Request& r = t.acquire();
    r.kind = RequestKind::kReadiness;
    EXPECT_EQ(before.count(&r), 1U);
  }
}

}  // namespace
}  // namespace runa::io
