// Tier 0's CALL of a native with a fast path (bridge/natives.hpp,
// NativeFastFn: map_contains, map_get and map_get_or): the fast path answers its common
// case, and everything else (a non-Dictionary, an unhashable key, map_get's
// absent key) reaches the native itself, with the same errors as before the
// fast path existed.
#include "native_calls.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

using asm_calls::call;

// A Dictionary {"k": 1, 7: "seven", <a 100-byte key>: 3} in local 0.
const std::string kMap =
    ".local map type Any slot 0 scope 0 end\n"
    "PUSH_CONST \"k\"\nPUSH_CONST 1\nPUSH_CONST 7\nPUSH_CONST \"seven\"\n"
    "PUSH_CONST \"" +
    std::string(100, 'x') + "\"\nPUSH_CONST 3\nNEW_MAP 3\nSTORE_LOCAL map\n";
// The end of main, after its local's scope.
const std::string kReturn = "RETURN\nend:";
// A rope equal to the 100-byte key: two 50-byte halves joined by ADD.
const std::string kRope =
    "PUSH_CONST \"" + std::string(50, 'x') + "\"\nPUSH_CONST \"" + std::string(50, 'x') + "\"\nADD";

TEST_F(Tier0Test, AFastNativeAnswersHitsAndMisses) {
  EXPECT_EQ(eval(kMap + call("map_contains", {"LOAD_LOCAL map", "PUSH_CONST \"k\""}) + kReturn),
            "= true");
  EXPECT_EQ(eval(kMap + call("map_contains", {"LOAD_LOCAL map", "PUSH_CONST \"j\""}) + kReturn),
            "= false");
  EXPECT_EQ(eval(kMap + call("map_contains", {"LOAD_LOCAL map", "PUSH_CONST 7"}) + kReturn),
            "= true");
  EXPECT_EQ(eval(kMap + call("map_get", {"LOAD_LOCAL map", "PUSH_CONST 7"}) + kReturn),
            "= \"seven\"");
  // A Float equal to an Integer key is that key.
  EXPECT_EQ(eval(kMap + call("map_get", {"LOAD_LOCAL map", "PUSH_CONST 7.0"}) + kReturn),
            "= \"seven\"");
  // A rope key is flattened on the way and finds the flat key.
  EXPECT_EQ(eval(kMap + call("map_contains", {"LOAD_LOCAL map", kRope}) + kReturn), "= true");
  EXPECT_EQ(eval(kMap + call("map_get", {"LOAD_LOCAL map", kRope}) + kReturn), "= 3");
  // map_get_or: the value of a key it holds, else its default.
  EXPECT_EQ(
      eval(kMap + call("map_get_or", {"LOAD_LOCAL map", "PUSH_CONST 7", "PUSH_CONST 0"}) + kReturn),
      "= \"seven\"");
  EXPECT_EQ(eval(kMap + call("map_get_or", {"LOAD_LOCAL map", "PUSH_CONST \"j\"", "PUSH_CONST 0"}) +
                 kReturn),
            "= 0");
  EXPECT_EQ(eval(kMap + call("map_get_or", {"LOAD_LOCAL map", kRope, "PUSH_CONST null"}) + kReturn),
            "= 3");
  // The word count's step, counts[w] = map_get_or(counts, w, 0) + 1: the
  // first time 1, then 2.
  const std::string count_k =
      "LOAD_LOCAL map\nPUSH_CONST \"w\"\n" +
      call("map_get_or", {"LOAD_LOCAL map", "PUSH_CONST \"w\"", "PUSH_CONST 0"}) +
      "PUSH_CONST 1\nADD\nSET_ITEM\n";
  EXPECT_EQ(
      eval(kMap + count_k + count_k + "LOAD_LOCAL map\nPUSH_CONST \"w\"\nGET_ITEM\n" + kReturn),
      "= 2");
}

TEST_F(Tier0Test, WhatAFastNativeDoesNotAnswerTheNativeDoes) {
  // map_get of an absent key: the native's KeyError.
  EXPECT_EQ(eval(kMap + call("map_get", {"LOAD_LOCAL map", "PUSH_CONST \"j\""}) + kReturn),
            "! KeyError: map_get: no key \"j\"");
  // Not a Dictionary, an unhashable key: the native's TypeErrors.
  EXPECT_EQ(eval(call("map_contains", {"NEW_LIST 0", "PUSH_CONST \"k\""}) + kReturn),
            "! TypeError: map_contains: argument 1 must be a Dictionary, not List[Any] []");
  EXPECT_EQ(eval(kMap + call("map_contains", {"LOAD_LOCAL map", "NEW_LIST 0"}) + kReturn),
            "! TypeError: map_contains: argument 2 must be a hashable key, not List[Any] []");
  EXPECT_EQ(eval(call("map_get_or", {"NEW_LIST 0", "PUSH_CONST \"k\"", "PUSH_CONST 0"}) + kReturn),
            "! TypeError: map_get_or: argument 1 must be a Dictionary, not List[Any] []");
  EXPECT_EQ(
      eval(kMap + call("map_get_or", {"LOAD_LOCAL map", "NEW_LIST 0", "PUSH_CONST 0"}) + kReturn),
      "! TypeError: map_get_or: argument 2 must be a hashable key, not List[Any] []");
  // A wrong count: CALL's TypeError, as for any native (the fast path,
  // which reads `arity` slots, is never tried with another count).
  EXPECT_EQ(eval(kMap + call("map_contains", {"LOAD_LOCAL map"}) + kReturn),
            "! TypeError: map_contains takes 2 arguments, got 1");
  EXPECT_EQ(eval(kMap + call("map_get", {"LOAD_LOCAL map", "PUSH_CONST \"k\"", "PUSH_CONST 1"}) +
                 kReturn),
            "! TypeError: map_get takes 2 arguments, got 3");
  EXPECT_EQ(eval(kMap + call("map_get_or", {"LOAD_LOCAL map", "PUSH_CONST \"k\""}) + kReturn),
            "! TypeError: map_get_or takes 3 arguments, got 2");
}

}  // namespace
}  // namespace runa::tier0
