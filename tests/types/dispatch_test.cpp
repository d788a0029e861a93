// Inline caches and the global method cache: their states, their answers,
// and their protocols under threads that read and update them at once.
#include <random>
#include <thread>
#include <vector>

#include "../../bench/dispatch_family.hpp"
#include "runatime/types.hpp"
#include "types/method_cache.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using testing::TypesTest;

class DispatchTest : public TypesTest {
 protected:
  void SetUp() override {
    TypesTest::SetUp();
    mt_ = load(bench::dispatch_family(0));
    ASSERT_NE(mt_, nullptr);
    for (int i = 0; i < 8; ++i) types_.push_back(mt_->type("S" + std::to_string(i)));
    root_ = mt_->type("R");
    m_ = registry_->symbols().find("m");
  }
  const ModuleTypes* mt_ = nullptr;
  std::vector<const TypeDesc*> types_;
  const TypeDesc* root_ = nullptr;
  std::uint32_t m_ = 0;
  [[nodiscard]] rt::Type type(std::size_t i) const { return rt::Type::of(types_[i]); }
};

TEST_F(DispatchTest, InlineCacheGoesMonoPolyMega) {
  rt::InlineCache ic;
  EXPECT_EQ(ic.state(), 0u);
  EXPECT_EQ(ic.find(type(0)), 0u);
  for (std::uint32_t i = 0; i < rt::InlineCache::kEntries; ++i) {
    EXPECT_TRUE(ic.record(type(i), 100 + i));
    EXPECT_EQ(ic.state(), i + 1);
    EXPECT_TRUE(ic.record(type(i), 100 + i));  // seen: no new entry
    EXPECT_EQ(ic.state(), i + 1);
  }
  for (std::uint32_t i = 0; i < rt::InlineCache::kEntries; ++i)
    EXPECT_EQ(ic.find(type(i)), 100 + i);
  EXPECT_EQ(ic.find(type(4), 7), 7u);
  EXPECT_FALSE(ic.record(type(4), 104));
  EXPECT_EQ(ic.state(), rt::InlineCache::kMegamorphic);
  // The entries a megamorphic site had still answer; new types miss.
  EXPECT_EQ(ic.find(type(2)), 102u);
  EXPECT_EQ(ic.find(type(5)), 0u);
  EXPECT_FALSE(ic.record(type(5), 105));
  EXPECT_TRUE(ic.record(type(1), 101));  // a type it holds stays cached
}

TEST_F(DispatchTest, MethodCacheAnswersLikeTheDescriptorsEvenWhenEntriesCollide) {
  MethodCache cache(1);  // two entries: every lookup below collides
  const std::uint32_t absent = registry_->symbols().intern("absent");
  for (int round = 0; round < 3; ++round) {
    for (const TypeDesc* t : types_) {
      EXPECT_EQ(cache.lookup(t, m_), t->method(m_));
      EXPECT_EQ(cache.lookup(t, m_)->owner, t);
      EXPECT_EQ(cache.lookup(t, absent), nullptr);
    }
  }
  EXPECT_EQ(cache.lookup(root_, m_)->owner, root_);
  EXPECT_GT(cache.misses(), 0u);

  MethodCache big;
  for (const TypeDesc* t : types_) (void)big.lookup(t, m_);
  const std::uint64_t misses = big.misses();
  for (const TypeDesc* t : types_) EXPECT_EQ(big.lookup(t, m_), t->method(m_));
  EXPECT_EQ(big.misses(), misses);  // all hits now
}

// Threads call through one site and one tiny global cache with random
// receivers, updating both on misses. Every answer must be the receiver's own
// method: a torn entry would give another type's.
TEST_F(DispatchTest, ConcurrentCallSitesNeverAnswerForAnotherType) {
  rt::InlineCache site;
  MethodCache cache(2);
  constexpr int kCalls = 200000;
  auto work = [&](unsigned seed) {
    std::minstd_rand rng(seed);
    for (int i = 0; i < kCalls; ++i) {
      const TypeDesc* t = types_[rng() % types_.size()];
      auto data = site.find(rt::Type::of(t));
      if (data == 0) {
        const MethodDesc* md = cache.lookup(t, m_);
        ASSERT_EQ(md->owner, t);
        site.record(rt::Type::of(t), reinterpret_cast<std::uintptr_t>(md));
      } else {
        ASSERT_EQ(reinterpret_cast<const MethodDesc*>(data)->owner, t);
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned s = 1; s <= 4; ++s) threads.emplace_back(work, s);
  for (auto& th : threads) th.join();
  EXPECT_EQ(site.state(), rt::InlineCache::kMegamorphic);
}

}  // namespace
}  // namespace runa::types
