// Collection traces (gc_trace.hpp): pauses, phases and each worker's share
// as Chrome trace events, valid JSON, nothing recorded once stopped.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "heap_fixture.hpp"
#include "runatime/heap_profile.hpp"

namespace runa::heap::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(GcTrace, PausesPhasesAndWorkersAsChromeTraceEvents) {
  TestHeap t;  // two collector workers, parallel whatever the size
  HandleScope scope(*t.m);
  std::string path = ::testing::TempDir() + "gc_trace_" + std::to_string(::getpid()) + ".json";
  ASSERT_FALSE(start_gc_trace(*t.heap, *t.m, path).has_value());
  auto again = start_gc_trace(*t.heap, *t.m, path);
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(again->describe().find("already"), std::string::npos);
  Handle list(*t.m, t.new_ref_array(200, 0));
  for (std::size_t i = 1; i < 200; ++i) {
    Object* o = t.new_node(1, i);
    write(*t.m, list.get(), array_slots(list.get()) + i, ref_value(o));
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(t.heap->collect(*t.m));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(t.heap->collect(*t.m, true));
  std::uint64_t written = stop_gc_trace(*t.heap, *t.m);
  ASSERT_TRUE(t.heap->collect(*t.m));  // after the stop: not in the file

  std::string text = slurp(path);
  EXPECT_GE(occurrences(text, "\"name\":\"minor collection\""), 3u) << text;
  EXPECT_GE(occurrences(text, "\"name\":\"major collection\""), 2u);
  EXPECT_GE(occurrences(text, "\"name\":\"copy\""), 3u);
  EXPECT_GE(occurrences(text, "\"name\":\"mark\""), 2u);
  EXPECT_GE(occurrences(text, "\"name\":\"sweep\""), 2u);
  EXPECT_GE(occurrences(text, "\"name\":\"weak references and finalizers\""), 5u);
  EXPECT_NE(text.find("\"name\":\"gc worker 1\""), std::string::npos);
  EXPECT_NE(text.find("\"name\":\"copy\",\"cat\":\"gc\",\"ph\":\"X\",\"pid\":1,\"tid\":1"),
            std::string::npos)
      << "worker 1's share of a copy";
  EXPECT_NE(text.find("\"dropped_events\":\"0\""), std::string::npos);
  std::size_t events = occurrences(text, "\"ph\":\"X\"");
  EXPECT_EQ(events, written);
  if (!under_test_modes()) {  // a major collection may run a minor one in its pause
    EXPECT_LE(occurrences(text, "\"name\":\"minor collection\""), 3u + 2u);
  }

  // A real JSON parser agrees (Python's, from Debian).
  std::string cmd =
      "/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
      "print(len(d[\"traceEvents\"]))' " +
      path;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  ASSERT_NE(p, nullptr);
  char buf[64] = {};
  ASSERT_NE(std::fgets(buf, sizeof buf, p.get()), nullptr);
  EXPECT_GT(std::stoul(buf), events);  // the events and the thread names
  std::remove(path.c_str());
}

TEST(GcTrace, AnUnwritableFileIsAnError) {
  TestHeap t;
  auto e = start_gc_trace(*t.heap, *t.m, "/nonexistent/trace.json");
  ASSERT_TRUE(e.has_value());
  EXPECT_NE(e->describe().find("/nonexistent/trace.json"), std::string::npos);
  EXPECT_EQ(stop_gc_trace(*t.heap, *t.m), 0u);
}

}  // namespace
}  // namespace runa::heap::testing
