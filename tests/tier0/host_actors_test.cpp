// The C++ concurrency API (runatime/concurrency.hpp) meeting Runa code: an
// actor whose behaviour is a Runa function spawned and asked from C++, and
// a C++ behaviour asked by a Runa function through the native actor_ask
// (one kind of actor, whoever made it).
#include "actor_behaviours.hpp"
#include "runatime/concurrency.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

const std::string kModule = std::string(R"(
.type 1 primitive Integer
.type 2 primitive Any
.type 3 function "(Any,Any)->Any" params Any Any returns Any
.type 5 function "(Any)->Any" params Any returns Any
)") + counter_behaviour() +
                            R"(; ask_it: asks the actor given 21.
.function 2 ask_it type "(Any)->Any"
  .param actor type Any
  PUSH_CONST extern "actor_ask"
  LOAD_LOCAL actor
  PUSH_CONST 21
  CALL 2
  RETURN
.end
)";

using heap::Handle;
using heap::HandleScope;
using types::make_small_int;

TEST_F(Tier0Test, ARunaBehaviourSpawnedFromCppCountsAndAnswers) {
  auto m = runtime_->load(*t_, file("host", kModule));
  ASSERT_TRUE(m.ok()) << m.error().describe();
  HandleScope scope(*t_->m);
  const Handle counter(*t_->m, *(*m)->function("counter")->object);
  const Handle state(*t_->m, make_small_int(0));
  const Handle a(*t_->m, types::kNothing);
  ASSERT_TRUE(rt::Actor::spawn_function(*t_, counter.slot(), state.slot(), a.slot(), 4));
  const rt::Actor actor(a.slot());
  const Handle one(*t_->m, make_small_int(1));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(actor.send(*t_, one.slot()));
  const Handle got(*t_->m, types::kNothing);
  const Handle five(*t_->m, make_small_int(5));
  ASSERT_TRUE(actor.ask(*t_, five.slot(), got.slot(), std::chrono::seconds(60)));
  EXPECT_EQ(got.value(), make_small_int(15));
  ASSERT_TRUE(actor.stop(*t_));
  ASSERT_TRUE(actor.wait(*t_, got.slot()));
  EXPECT_EQ(got.value(), make_small_int(15));  // its last state
}

TEST_F(Tier0Test, RunaCodeAsksACppBehaviour) {
  auto m = runtime_->load(*t_, file("host", kModule));
  ASSERT_TRUE(m.ok()) << m.error().describe();
  HandleScope scope(*t_->m);
  const Handle a(*t_->m, types::kNothing);
  ASSERT_TRUE(rt::Actor::spawn(
      *t_,
      [](rt::Thread& on, Value* message) {
        const Handle twice(*on.m, make_small_int(2 * types::small_int_value(*message)));
        EXPECT_TRUE(rt::Actor::reply(on, twice.slot()));
      },
      a.slot()));
  const Handle ask_it(*t_->m, *(*m)->function("ask_it")->object);
  const Handle got(*t_->m, types::kNothing);
  ASSERT_TRUE(runtime_->call(*t_, ask_it.slot(), a.slot(), 1, got.slot())) << thrown();
  EXPECT_EQ(got.value(), make_small_int(42));
  ASSERT_TRUE(rt::Actor(a.slot()).stop(*t_));
  ASSERT_TRUE(rt::Actor(a.slot()).wait(*t_));
}

}  // namespace
}  // namespace runa::tier0
