// Heap options as text (runatime/heap_options.hpp): every option, every
// size suffix and switch spelling, separators and name spellings, the
// canonical form and its round trip, every error with its message, the
// help table, and RUNA_GC set, unset, empty and bad.
#include "runatime/heap_options.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace runa::heap {
namespace {

constexpr std::size_t kKiB = std::size_t{1} << 10;
constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kGiB = std::size_t{1} << 30;

Options parsed(std::string_view text, const Options& base = {}) {
  auto r = parse_options(text, base);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error().describe();
  return r.ok() ? r.value() : base;
}

// The message of the error `text` gives (the test fails if it parses).
std::string error_of(std::string_view text) {
  auto r = parse_options(text);
  if (r.ok()) {
    ADD_FAILURE() << "'" << text << "' parsed";
    return "";
  }
  EXPECT_EQ(r.error().section, "heap options");
  return r.error().message;
}

TEST(HeapOptions, EmptyTextGivesTheBase) {
  Options base;
  base.nursery = 3 * kMiB;
  base.verify = true;
  EXPECT_EQ(parsed(""), Options{});
  EXPECT_EQ(parsed("", base), base);
  EXPECT_EQ(parsed(" ,, \t\n", base), base);
}

TEST(HeapOptions, EveryOption) {
  Options o = parsed(
      "max_heap=2g,nursery=64m,survivor_ratio=6,promotion_age=5,gc_threads=4,tlab=16k,log,"
      "verify,poison,stress_every=7,major_growth_percent=250");
  EXPECT_EQ(o.max_heap, 2 * kGiB);
  EXPECT_EQ(o.nursery, 64 * kMiB);
  EXPECT_EQ(o.survivor_ratio, 6u);
  EXPECT_EQ(o.promotion_age, 5u);
  EXPECT_EQ(o.gc_threads, 4u);
  EXPECT_EQ(o.tlab, 16 * kKiB);
  EXPECT_TRUE(o.log);
  EXPECT_TRUE(o.verify);
  EXPECT_TRUE(o.poison);
  EXPECT_EQ(o.stress_every, 7u);
  EXPECT_EQ(o.major_growth_percent, 250u);
}

TEST(HeapOptions, UnnamedOptionsKeepTheBase) {
  Options base;
  base.nursery = 5 * kMiB;
  base.poison = true;
  base.stress_every = 3;
  Options o = parsed("max_heap=1m,log", base);
  Options expected = base;
  expected.max_heap = kMiB;
  expected.log = true;
  EXPECT_EQ(o, expected);
}

TEST(HeapOptions, SizeSuffixes) {
  const std::vector<std::pair<std::string, std::size_t>> cases = {
      {"0", 0},
      {"65536", 65536},
      {"4096b", 4096},
      {"4096B", 4096},
      {"64k", 64 * kKiB},
      {"64K", 64 * kKiB},
      {"64kb", 64 * kKiB},
      {"64KB", 64 * kKiB},
      {"64kib", 64 * kKiB},
      {"64KiB", 64 * kKiB},
      {"3m", 3 * kMiB},
      {"3M", 3 * kMiB},
      {"3mb", 3 * kMiB},
      {"3MiB", 3 * kMiB},
      {"2g", 2 * kGiB},
      {"2G", 2 * kGiB},
      {"2Gb", 2 * kGiB},
      {"2GIB", 2 * kGiB},
      {"007k", 7 * kKiB},
  };
  for (const auto& [text, bytes] : cases) {
    EXPECT_EQ(parsed("max_heap=" + text).max_heap, bytes) << text;
    EXPECT_EQ(parsed("nursery=" + text).nursery, bytes) << text;
    EXPECT_EQ(parsed("tlab=" + text).tlab, bytes) << text;
  }
}

TEST(HeapOptions, Switches) {
  Options on;
  on.log = on.verify = on.poison = true;
  for (const char* text : {"1", "true", "TRUE", "on", "On"}) {
    EXPECT_TRUE(parsed(std::string("log=") + text).log) << text;
    EXPECT_TRUE(parsed(std::string("verify=") + text).verify) << text;
    EXPECT_TRUE(parsed(std::string("poison=") + text).poison) << text;
  }
  for (const char* text : {"0", "false", "False", "off", "OFF"}) {
    EXPECT_FALSE(parsed(std::string("log=") + text, on).log) << text;
    EXPECT_FALSE(parsed(std::string("verify=") + text, on).verify) << text;
    EXPECT_FALSE(parsed(std::string("poison=") + text, on).poison) << text;
  }
  EXPECT_TRUE(parsed("log").log);
  EXPECT_TRUE(parsed("verify").verify);
  EXPECT_TRUE(parsed("poison").poison);
}

TEST(HeapOptions, NameSpellingsAndSeparators) {
  EXPECT_EQ(parsed("max-heap=2g").max_heap, 2 * kGiB);
  EXPECT_EQ(parsed("MAX_HEAP=2g").max_heap, 2 * kGiB);
  EXPECT_EQ(parsed("Major-Growth-Percent=7").major_growth_percent, 7u);
  EXPECT_EQ(parsed("stress-every=1").stress_every, 1u);
  Options expected;
  expected.log = true;
  expected.nursery = kMiB;
  expected.gc_threads = 1;
  for (const char* text : {"log,nursery=1m,gc_threads=1", "log nursery=1m gc_threads=1",
                           "log, nursery=1m,\tgc_threads=1", ",log\n\nnursery=1m  gc_threads=1,"}) {
    EXPECT_EQ(parsed(text), expected) << text;
  }
  // The last of repeated options wins.
  EXPECT_EQ(parsed("nursery=1m,nursery=2m").nursery, 2 * kMiB);
  EXPECT_FALSE(parsed("log,log=off").log);
}

TEST(HeapOptions, ValuesUpToTheFieldsLimits) {
  EXPECT_EQ(parsed("max_heap=18446744073709551615").max_heap, ~std::size_t{0});
  EXPECT_EQ(parsed("max_heap=17179869183g").max_heap, std::size_t{17179869183} * kGiB);
  EXPECT_EQ(parsed("max_heap=18014398509481983k").max_heap, std::size_t{18014398509481983} * kKiB);
  EXPECT_EQ(parsed("stress_every=4294967295").stress_every, 4294967295u);
  EXPECT_EQ(parsed("promotion_age=0").promotion_age, 0u);
}

TEST(HeapOptions, RangesAreLeftToHeapCreate) {
  Options o = parsed("promotion_age=99");
  EXPECT_EQ(o.promotion_age, 99u);
  auto heap = Heap::create(o);
  ASSERT_FALSE(heap.ok());
  EXPECT_EQ(heap.error().section, "heap options");
  EXPECT_NE(heap.error().message.find("promotion_age"), std::string::npos);
}

TEST(HeapOptions, UnknownNames) {
  EXPECT_EQ(error_of("nursry=1m"), "unknown option 'nursry' (did you mean 'nursery'?)");
  EXPECT_EQ(error_of("max-hep=1g"), "unknown option 'max-hep' (did you mean 'max_heap'?)");
  EXPECT_EQ(error_of("gc_thread=2"), "unknown option 'gc_thread' (did you mean 'gc_threads'?)");
  EXPECT_EQ(error_of("tlb=4k"), "unknown option 'tlb' (did you mean 'tlab'?)");
  EXPECT_EQ(error_of("logg"), "unknown option 'logg' (did you mean 'log'?)");
  // Abbreviations.
  EXPECT_EQ(error_of("stress=1"), "unknown option 'stress' (did you mean 'stress_every'?)");
  EXPECT_EQ(error_of("promotion=2"), "unknown option 'promotion' (did you mean 'promotion_age'?)");
  // Nothing near: the list.
  const std::string list =
      " (the options are max_heap, nursery, survivor_ratio, promotion_age, gc_threads, tlab, "
      "log, verify, poison, stress_every, major_growth_percent, sample_bytes, huge_pages)";
  EXPECT_EQ(error_of("frobnicate"), "unknown option 'frobnicate'" + list);
  EXPECT_EQ(error_of("foo=1"), "unknown option 'foo'" + list);
  EXPECT_EQ(error_of("stats"), "unknown option 'stats'" + list);
}

TEST(HeapOptions, MissingNamesAndValues) {
  EXPECT_EQ(error_of("=5"), "'=5' has no option name before '='");
  EXPECT_EQ(error_of("nursery"), "option 'nursery' needs a value (nursery=SIZE)");
  EXPECT_EQ(error_of("promotion-age"), "option 'promotion_age' needs a value (promotion_age=N)");
  EXPECT_EQ(error_of("nursery="), "option 'nursery' has an empty value");
  EXPECT_EQ(error_of("gc_threads="), "option 'gc_threads' has an empty value");
  EXPECT_EQ(error_of("log="), "option 'log' has an empty value");
}

TEST(HeapOptions, BadSizes) {
  const std::string form = "is not a size (bytes, optionally with a k, m or g suffix)";
  for (const char* value :
       {"64q", "64kk", "64ibk", "64ib", "k", "0x10", "+5", "-x", "1.5g", "64k=1", "64tb"}) {
    EXPECT_EQ(error_of(std::string("tlab=") + value),
              "option 'tlab': '" + std::string(value) + "' " + form);
  }
  // A space separates items: "64 k" is 64 bytes, then an unknown option.
  EXPECT_EQ(error_of("tlab=64 k").substr(0, 22), "unknown option 'k' (th");
  EXPECT_EQ(error_of("nursery=-1"), "option 'nursery': '-1' is negative");
  EXPECT_EQ(error_of("max_heap=-2g"), "option 'max_heap': '-2g' is negative");
  const std::string too_large = "is too large (at most 18446744073709551615 bytes)";
  EXPECT_EQ(error_of("max_heap=18446744073709551616"),
            "option 'max_heap': '18446744073709551616' " + too_large);
  EXPECT_EQ(error_of("max_heap=17179869184g"), "option 'max_heap': '17179869184g' " + too_large);
  EXPECT_EQ(error_of("max_heap=18014398509481984k"),
            "option 'max_heap': '18014398509481984k' " + too_large);
  EXPECT_EQ(error_of("max_heap=99999999999999999999999g"),
            "option 'max_heap': '99999999999999999999999g' " + too_large);
}

TEST(HeapOptions, BadCounts) {
  for (const char* value : {"3x", "3k", "x", "+3", "0x3", "3.0"}) {
    EXPECT_EQ(error_of(std::string("promotion_age=") + value),
              "option 'promotion_age': '" + std::string(value) + "' is not a whole number");
  }
  EXPECT_EQ(error_of("gc_threads=-2"), "option 'gc_threads': '-2' is negative");
  EXPECT_EQ(error_of("stress_every=4294967296"),
            "option 'stress_every': '4294967296' is too large (at most 4294967295)");
  EXPECT_EQ(error_of("survivor_ratio=99999999999999999999999"),
            "option 'survivor_ratio': '99999999999999999999999' is too large (at most "
            "4294967295)");
}

TEST(HeapOptions, BadSwitches) {
  for (const char* value : {"maybe", "2", "yes", "onn", "-1"}) {
    EXPECT_EQ(error_of(std::string("verify=") + value),
              "option 'verify': '" + std::string(value) +
                  "' is not a switch value (1, 0, true, false, on or off)");
  }
}

TEST(HeapOptions, TheFirstBadItemIsTheError) {
  auto r = parse_options("log,nursry=1m,frob");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(),
            "heap options: unknown option 'nursry' (did you mean 'nursery'?)");
}

TEST(HeapOptions, DescribeIsCanonical) {
  EXPECT_EQ(describe_options(Options{}),
            "max_heap=1g,nursery=0,survivor_ratio=8,promotion_age=3,gc_threads=2,tlab=0,"
            "log=off,verify=off,poison=off,stress_every=0,major_growth_percent=100,sample_bytes=0,"
            "huge_pages=off");
  Options o;
  o.max_heap = 3 * kGiB + kMiB;  // not a whole number of GiB: the largest exact unit
  o.nursery = 12345;
  o.tlab = 0;
  o.log = true;
  EXPECT_EQ(describe_options(o).substr(0, 45), "max_heap=3073m,nursery=12345,survivor_ratio=8");
  EXPECT_NE(describe_options(o).find("tlab=0,log=on,"), std::string::npos);
}

TEST(HeapOptions, DescribeRoundTrips) {
  std::vector<Options> cases(4);
  cases[1].max_heap = 3 * kGiB + kMiB;
  cases[1].nursery = 12345;
  cases[1].tlab = 4 * kKiB + 8;
  cases[1].log = cases[1].verify = cases[1].poison = true;
  cases[1].stress_every = 1;
  cases[2].max_heap = ~std::size_t{0};
  cases[2].survivor_ratio = 0;
  cases[2].promotion_age = 15;
  cases[2].gc_threads = 4294967295u;
  cases[2].major_growth_percent = 0;
  cases[3].max_heap = 0;
  cases[3].nursery = 1;
  cases[3].tlab = kMiB;
  cases[3].poison = true;
  // Against a base that differs in every field, so nothing comes from it.
  Options other = cases[1];
  other.max_heap = 7;
  other.nursery = 7;
  other.tlab = 7;
  other.survivor_ratio = other.promotion_age = other.gc_threads = 7;
  other.stress_every = other.major_growth_percent = 7;
  other.log = other.verify = other.poison = false;
  for (const Options& o : cases) {
    std::string text = describe_options(o);
    EXPECT_EQ(parsed(text, other), o) << text;
    Options flipped = other;
    flipped.log = flipped.verify = flipped.poison = true;
    EXPECT_EQ(parsed(text, flipped), o) << text;
  }
}

TEST(HeapOptions, NamesForCommandLines) {
  for (const char* name :
       {"max_heap", "max-heap", "MAX-HEAP", "nursery", "survivor_ratio", "promotion_age",
        "gc_threads", "tlab", "log", "verify", "poison", "stress_every", "major_growth_percent",
        "sample_bytes", "sample-bytes"}) {
    EXPECT_TRUE(is_option_name(name)) << name;
  }
  for (const char* name : {"", "stats", "max_heap=1g", "-", "nursry"}) {
    EXPECT_FALSE(is_option_name(name)) << name;
  }
}

TEST(HeapOptions, HelpListsEveryOptionWithItsDefault) {
  const char* help = options_help();
  ASSERT_NE(help, nullptr);
  EXPECT_EQ(help, options_help());  // built once
  std::string text = help;
  for (const char* line : {"max_heap=SIZE",
                           "(default 1g)",
                           "nursery=SIZE",
                           "adaptive, up to max_heap / 3 (default 0)",
                           "survivor_ratio=N",
                           "(default 8)",
                           "promotion_age=N",
                           "(default 3)",
                           "gc_threads=N",
                           "(default 2)",
                           "tlab=SIZE",
                           "share of eden (default 0)",
                           "collector threads, the one that stops the world included",
                           "  log ",
                           "  verify ",
                           "  poison ",
                           "(default off)",
                           "stress_every=N",
                           "(default 0)",
                           "major_growth_percent=N",
                           "(default 100)",
                           "sample_bytes=SIZE",
                           "allocation-profile samples; 0: off (default 0)"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

// Sets RUNA_GC (or unsets it, for nullopt) for one test and restores it.
class ScopedRunaGc {
 public:
  explicit ScopedRunaGc(const std::optional<std::string>& value) {
    if (const char* old = std::getenv("RUNA_GC")) saved_ = old;
    if (value) {
      setenv("RUNA_GC", value->c_str(), 1);
    } else {
      unsetenv("RUNA_GC");
    }
  }
  ~ScopedRunaGc() {
    if (saved_) {
      setenv("RUNA_GC", saved_->c_str(), 1);
    } else {
      unsetenv("RUNA_GC");
    }
  }
  ScopedRunaGc(const ScopedRunaGc&) = delete;
  ScopedRunaGc& operator=(const ScopedRunaGc&) = delete;

 private:
  std::optional<std::string> saved_;
};

TEST(HeapOptions, EnvironmentUnsetOrEmptyGivesTheBase) {
  Options base;
  base.tlab = 8 * kKiB;
  {
    ScopedRunaGc env(std::nullopt);
    auto r = options_from_env(base);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, base);
  }
  {
    ScopedRunaGc env("");
    auto r = options_from_env(base);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, base);
  }
}

TEST(HeapOptions, EnvironmentIsApplied) {
  ScopedRunaGc env("nursery=2m, log  verify=0");
  Options base;
  base.tlab = 8 * kKiB;
  base.verify = true;
  auto r = options_from_env(base);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  Options expected = base;
  expected.nursery = 2 * kMiB;
  expected.log = true;
  expected.verify = false;
  EXPECT_EQ(*r, expected);
  auto defaults = options_from_env();
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->nursery, 2 * kMiB);
  EXPECT_EQ(defaults->max_heap, Options{}.max_heap);
}

TEST(HeapOptions, EnvironmentErrorsNameTheVariable) {
  ScopedRunaGc env("log,nursry=2m");
  auto r = options_from_env();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().section, "RUNA_GC");
  EXPECT_EQ(r.error().describe(), "RUNA_GC: unknown option 'nursry' (did you mean 'nursery'?)");
}

}  // namespace
}  // namespace runa::heap
