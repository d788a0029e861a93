// The tier policy with a second tier beside tier 0, in C++ (the C ABI's
// tests do the same from C and Rust): promotion by the policy's thread
// while the program runs, calls through the new entry, deoptimisation back
// to tier 0 on a failed guard, and the speculation budget stopping further
// promotions; execution requests (Runtime::execute) and what they report.
// Under ThreadSanitizer this checks the entry protocol: the
// policy thread installs entries (release) while the program's thread
// reads them (acquire) on every call.
#include <atomic>
#include <thread>

#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kModule = R"(
.type 1 primitive Integer
.type 2 function "(Integer)->Integer" params Integer returns Integer
.function 1 twice type "(Integer)->Integer"
  .param x type Integer
  LOAD_LOCAL x
  PUSH_CONST 2
  MUL
  RETURN
.end
.function 2 sum_twice type "(Integer)->Integer"
  .param n type Integer flags MUTABLE
  .local sum type Integer slot 1 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL sum
loop:
  LOAD_LOCAL n
  PUSH_CONST 0
  GT
  JUMP_IF_FALSE done
  PUSH_CONST function twice
  LOAD_LOCAL n
  CALL 1
  LOAD_LOCAL sum
  ADD
  STORE_LOCAL sum
  LOAD_LOCAL n
  PUSH_CONST 1
  SUB
  STORE_LOCAL n
  JUMP loop
done:
  LOAD_LOCAL sum
  RETURN
end:
.end
.function 3 twice_promoting type "(Integer)->Integer"
  .param x type Integer
  PUSH_CONST extern "promote_me"
  CALL 0
  POP
  LOAD_LOCAL x
  PUSH_CONST 2
  MUL
  RETURN
.end
)";

// A tier that serves `twice` natively, guarded on a small Integer argument.
struct Doubler {
  rt::Runtime* runtime = nullptr;
  std::atomic<int> prepared{0};
  std::atomic<int> served{0};
  std::atomic<int> failed{0};
  int marker = 0;

  // Set: prepare() waits for a collection made by another thread, which
  // needs every mutator stopped or in a native region.
  bool collect_in_prepare = false;
  std::atomic<int> collections_in_prepare{0};

  static void* prepare(void* self, const rt::FunctionInfo& f, std::uint32_t /*osr*/) {
    auto* d = static_cast<Doubler*>(self);
    if (f.name() != "twice") return nullptr;
    d->prepared.fetch_add(1);
    if (d->collect_in_prepare) {
      std::thread([d] {
        rt::Thread& other = d->runtime->attach("collector");
        d->runtime->heap().collect(*other.m);
        d->collections_in_prepare.fetch_add(1);
        d->runtime->detach(other);
      }).join();
    }
    return &d->marker;
  }
  static bool invoke(void* self, rt::Thread& t, const rt::FunctionInfo& f, Value* /*callee*/,
                     Value* args, std::uint32_t n, Value* out) {
    auto* d = static_cast<Doubler*>(self);
    if (n == 1 && types::is_small_int(args[0]) &&
        types::fits_small_int(2 * types::small_int_value(args[0]))) {
      d->served.fetch_add(1);
      *out = types::make_small_int(2 * types::small_int_value(args[0]));
      return true;
    }
    d->failed.fetch_add(1);
    d->runtime->deoptimize(f, "twice: the argument is not a small Integer");
    return d->runtime->call(t, f.object, args, n, out);
  }
};

class PolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("policy_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "m.runas") << kModule;
    rt::RuntimeOptions o;
    auto env = heap::options_from_env();
    ASSERT_TRUE(env.ok());
    o.heap = *env;
    o.policy.call_threshold = 20;
    o.policy.speculation_budget = 2;
    auto r = rt::Runtime::create(o);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    runtime_ = std::move(*r);
    engine_ = Engine::install(*runtime_);
    doubler_.runtime = runtime_.get();
    rt::TierInfo info;
    info.name = "doubler";
    info.level = 1;
    info.data = &doubler_;
    info.callbacks.invoke = Doubler::invoke;
    info.callbacks.prepare = Doubler::prepare;
    doubler_index_ = runtime_->register_tier(info);
    // promote_me(): installs the doubler for twice_promoting, the function
    // that calls it, while that function runs.
    ASSERT_TRUE(runtime_->impl().add_native(
        "promote_me", 0,
        [](bridge::NativeCall& call) {
          auto* self = static_cast<PolicyTest*>(const_cast<void*>(call.native->context));
          self->runtime_->install(*self->module_->function("twice_promoting"), self->doubler_index_,
                                  &self->doubler_.marker);
          return bridge::NativeStatus::kReturn;
        },
        this));
    t_ = &runtime_->attach();
    auto m = runtime_->load(*t_, (dir_ / "m.runas").string());
    ASSERT_TRUE(m.ok()) << m.error().describe();
    module_ = *m;
  }
  void TearDown() override {
    runtime_->detach(*t_);
    runtime_.reset();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  // name(arg), the argument made here (boxed outside the small range):
  // a raw reference held across calls would be stale after a collection.
  std::int64_t call(const char* name, std::int64_t arg) {
    heap::HandleScope scope(*t_->m);
    heap::Handle a(*t_->m, types::make_int(runtime_->impl().types().context(), *t_->m, arg));
    heap::Handle out(*t_->m, types::kNothing);
    EXPECT_TRUE(runtime_->call(*t_, module_->function(name)->object, a.slot(), 1, out.slot()));
    return types::as_int(out.value());
  }
  void drain() {
    heap::NativeRegion region(*t_->m);  // the policy thread never needs us; be polite anyway
    runtime_->impl().policy().drain();
  }

  std::filesystem::path dir_;
  std::unique_ptr<rt::Runtime> runtime_;
  std::unique_ptr<Engine> engine_;
  Doubler doubler_;
  std::uint32_t doubler_index_ = 0;
  rt::Thread* t_ = nullptr;
  const rt::ModuleInfo* module_ = nullptr;
};

TEST_F(PolicyTest, AHotFunctionIsPromotedServedAndSentBack) {
  const rt::FunctionInfo* twice = module_->function("twice");
  EXPECT_EQ(call("sum_twice", 100), 10100);
  drain();
  EXPECT_EQ(doubler_.prepared.load(), 1);
  EXPECT_EQ(twice->current().tier, doubler_index_);
  // The first run may already have reached the new tier (the policy's
  // thread installs the entry while the loop goes on): count this run's.
  const int before = doubler_.served.load();
  EXPECT_EQ(call("sum_twice", 100), 10100);
  EXPECT_EQ(doubler_.served.load() - before, 100) << "tier 0's calls go through the new entry";
  // A boxed Integer fails the guard: back to tier 0, which doubles it exactly.
  constexpr std::int64_t kBig = std::int64_t{1} << 61;
  EXPECT_EQ(call("twice", kBig), std::int64_t{1} << 62);
  EXPECT_EQ(doubler_.failed.load(), 1);
  EXPECT_EQ(twice->current().tier, engine_->index());
  EXPECT_EQ(twice->deopts.load(), 1u);
}

TEST_F(PolicyTest, TheSpeculationBudgetStopsPromotions) {
  const rt::FunctionInfo* twice = module_->function("twice");
  constexpr std::int64_t kBig = std::int64_t{1} << 61;
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(call("sum_twice", 50), 2550);
    drain();
    if (twice->current().tier == doubler_index_) call("twice", kBig);  // a guard fails
  }
  EXPECT_EQ(doubler_.prepared.load(), 2) << "promoted twice: the budget is 2 deoptimisations";
  EXPECT_EQ(twice->deopts.load(), 2u);
  EXPECT_EQ(twice->current().tier, engine_->index());
  const auto decisions = runtime_->impl().policy().decisions();
  ASSERT_FALSE(decisions.empty());
  EXPECT_NE(decisions.back().find("speculation budget spent"), std::string::npos)
      << decisions.back();
}

// An execution request reports how its call ran: the tier that ran it,
// and a promotion that happened meanwhile (here made by the function
// itself, through a native, so that it happens during the call).
TEST_F(PolicyTest, AnExecutionRequestReportsAPromotionMeanwhile) {
  heap::HandleScope scope(*t_->m);
  heap::Handle arg(*t_->m, types::make_small_int(21));
  rt::ExecuteRequest request;
  request.callee = module_->function("twice_promoting")->object;
  request.args = arg.slot();
  request.n = 1;
  rt::ExecuteResult result;
  ASSERT_TRUE(runtime_->execute(*t_, request, result));
  EXPECT_EQ(types::small_int_value(result.value), 42);
  EXPECT_EQ(result.tier, engine_->index()) << "tier 0 ran the call it began";
  EXPECT_TRUE(result.promoted);
  EXPECT_FALSE(result.deoptimized);
  EXPECT_EQ(result.compile_ns, 0u);
  EXPECT_EQ(result.budget_left, 2u);
  // The next request runs in the doubler, its entry now: nothing moves.
  ASSERT_TRUE(runtime_->execute(*t_, request, result));
  EXPECT_EQ(types::small_int_value(result.value), 42);
  EXPECT_EQ(result.tier, doubler_index_);
  EXPECT_FALSE(result.promoted);
  EXPECT_EQ(doubler_.served.load(), 1);
}

// A wanted tier prepares the function on the requesting thread, in a
// native region: a collection another thread needs meanwhile is not held up
// (the doubler's prepare collects from a second thread while it runs).
TEST_F(PolicyTest, AnExecutionRequestPreparesItsTierWithoutDelayingCollections) {
  heap::HandleScope scope(*t_->m);
  heap::Handle arg(*t_->m, types::make_small_int(4));
  rt::ExecuteRequest request;
  request.callee = module_->function("twice")->object;
  request.args = arg.slot();
  request.n = 1;
  request.tier = doubler_index_;
  doubler_.collect_in_prepare = true;
  rt::ExecuteResult result;
  ASSERT_TRUE(runtime_->execute(*t_, request, result));
  EXPECT_EQ(types::small_int_value(result.value), 8);
  EXPECT_EQ(result.tier, doubler_index_);
  EXPECT_EQ(doubler_.collections_in_prepare.load(), 1);
  EXPECT_GT(result.compile_ns, 0u);
}

}  // namespace
}  // namespace runa::tier0
