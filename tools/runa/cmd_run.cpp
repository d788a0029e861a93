// `runa run [OPTIONS] FILE [ARGS...]`: runs a program's `main` on the
// reference tier 0 (engines/tier0) through the public bridge.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "dump_on_signal.hpp"
#include "heap_watch.hpp"
#include "malloc_heap.hpp"
#include "own_code.hpp"
#include "runatime/heap_options.hpp"
#include "runatime/heap_profile.hpp"
#include "runatime/runtime.hpp"
#include "tier0.hpp"

namespace runa::cli {

namespace {

constexpr const char* kHelp =
    "usage: runa run [OPTIONS] FILE [ARGS...]\n"
    "\n"
    "Loads FILE (a .runab module, or .runas text, assembled first), verifies and links\n"
    "it, runs its initializer, then its function main with ARGS as a List of Strings.\n"
    "\n"
    "Options (before FILE):\n"
    "  --gc TEXT              heap options, as in RUNA_GC (which is read first):\n"
    "                         max_heap=2g,nursery=64m,log,verify,stress_every=1,...\n"
    "  --NAME=VALUE           one heap option, e.g. --max-heap=2g\n"
    "  --gc-log               one line per collection on stderr\n"
    "  --tier-log             the tier policy's decisions on stderr\n"
    "  --profile-dump FILE    write the profile records (JSON) at exit\n"
    "  --stats                heap statistics on stderr at exit\n"
    "  --heap-profile FILE    sample allocations (every 512 KiB on average, or\n"
    "                         --sample-bytes=N) and write them at exit as a gzip\n"
    "                         pprof profile (go tool pprof FILE)\n"
    "  --heap-snapshot FILE   write a V8 .heapsnapshot of the live heap at exit, and\n"
    "                         FILE-1, FILE-2, ... on each SIGUSR2 (Chrome DevTools,\n"
    "                         Memory tab: Load)\n"
    "  --gc-trace FILE        write every collection, its phases and each collector\n"
    "                         worker's share as Chrome trace events (Perfetto,\n"
    "                         chrome://tracing)\n"
    "  --leak-check           count live objects per type after each major collection;\n"
    "                         at exit, report the types that kept growing, with what\n"
    "                         they retain and a path from a root, on stderr\n"
    "  --module-path DIR      search DIR for LOAD_MODULE (repeatable; FILE's own\n"
    "                         directory is searched first)\n"
    "\n"
    "An ASYNC main runs as the first task of the thread's scheduler (task_spawn,\n"
    "task_sleep, task_yield). SIGQUIT (kill -QUIT, Ctrl-\\) prints every thread's\n"
    "stack and pending tasks on stderr; the program goes on.\n"
    "\n"
    "Exit status: what main returns (an Integer, modulo 256; 0 for nothing); 1 when\n"
    "the module is refused or an exception is not caught (its type, message and stack\n"
    "trace are printed on stderr); 2 on a usage error.\n";

// Go's MemProfileRate and tcmalloc's default: a sample costs a stack walk,
// and 512 KiB keeps them rare enough not to be measured.
constexpr std::size_t kProfileMean = std::size_t{512} << 10;

struct RunOptions {
  heap::Options heap;
  std::string file;
  std::vector<std::string> arguments;
  std::vector<std::string> module_path;
  std::string profile_dump;
  std::string heap_profile;
  std::string heap_snapshot;
  std::string gc_trace;
  bool tier_log = false;
  bool leak_check = false;
  bool stats = false;
  bool help = false;
};

// Options up to FILE; everything after FILE is the program's.
std::optional<std::string> parse_run(std::span<char*> argv, RunOptions& o) {
  std::string gc_text;
  std::size_t i = 0;
  auto value = [&](std::string_view flag) -> std::optional<std::string> {
    if (i + 1 >= argv.size()) return std::nullopt;
    (void)flag;
    return std::string(argv[++i]);
  };
  for (; i < argv.size(); ++i) {
    const std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      o.help = true;
      return std::nullopt;
    }
    if (a.size() < 2 || a[0] != '-') break;
    if (a == "--gc" || a == "--profile-dump" || a == "--module-path" || a == "--heap-profile" ||
        a == "--heap-snapshot" || a == "--gc-trace") {
      auto v = value(a);
      if (!v) return std::string(a) + " needs a value";
      if (a == "--gc") gc_text += "," + *v;
      if (a == "--profile-dump") o.profile_dump = *v;
      if (a == "--heap-profile") o.heap_profile = *v;
      if (a == "--heap-snapshot") o.heap_snapshot = *v;
      if (a == "--gc-trace") o.gc_trace = *v;
      if (a == "--module-path") o.module_path.push_back(*v);
    } else if (a == "--gc-log") {
      gc_text += ",log";
    } else if (a == "--tier-log") {
      o.tier_log = true;
    } else if (a == "--stats") {
      o.stats = true;
    } else if (a == "--leak-check") {
      o.leak_check = true;
    } else if (a.starts_with("--") && a.find('=') != std::string_view::npos &&
               heap::is_option_name(a.substr(2, a.find('=') - 2))) {
      gc_text += "," + std::string(a.substr(2));
    } else {
      return "unknown option " + std::string(a);
    }
  }
  if (i >= argv.size()) return std::string("no program given");
  o.file = argv[i];
  for (++i; i < argv.size(); ++i) o.arguments.emplace_back(argv[i]);
  auto env = heap::options_from_env();
  if (!env) return env.error().describe();
  auto parsed = heap::parse_options(gc_text, *env);
  if (!parsed) return parsed.error().describe();
  o.heap = *parsed;
  if (!o.heap_profile.empty() && o.heap.sample_bytes == 0) o.heap.sample_bytes = kProfileMean;
  return std::nullopt;
}

void print_stats(const heap::Stats& s) {
  std::fprintf(stderr,
               "runa: heap: %llu minor and %llu major collections, pauses total %.1f ms, "
               "max %.1f ms; %llu MiB allocated, %llu MiB promoted, %llu MiB committed\n",
               static_cast<unsigned long long>(s.minor_collections),
               static_cast<unsigned long long>(s.major_collections),
               static_cast<double>(s.total_pause_ns) / 1e6,
               static_cast<double>(s.max_pause_ns) / 1e6,
               static_cast<unsigned long long>(s.allocated_bytes >> 20),
               static_cast<unsigned long long>(s.promoted_bytes >> 20),
               static_cast<unsigned long long>(s.committed_bytes >> 20));
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kTakeApart = true;
#else
constexpr bool kTakeApart = false;
#endif

int cmd_run(std::span<char*> args) {
  map_own_code();
  map_malloc_heap();
  RunOptions o;
  if (auto error = parse_run(args, o)) return usage_error("run", *error);
  if (o.help) {
    std::fputs(kHelp, stdout);
    return kOk;
  }
  // Before any thread starts, so that the signals reach only their watchers.
  DumpOnSignal::block();
  if (!o.heap_snapshot.empty()) SnapshotOnSignal::block();
  rt::RuntimeOptions ro;
  ro.heap = o.heap;
  ro.arguments = o.arguments;
  std::error_code ec;
  const auto dir = std::filesystem::absolute(o.file, ec).parent_path();
  ro.module_path.push_back(dir.empty() ? "." : dir.string());
  for (const std::string& d : o.module_path) ro.module_path.push_back(d);
  ro.policy.log = o.tier_log ? stderr : nullptr;

  auto runtime = rt::Runtime::create(ro);
  if (!runtime) return input_error("run", runtime.error().describe());
  auto engine = tier0::Engine::install(**runtime);
  if (o.leak_check) heap::start_leak_detection((*runtime)->heap());
  std::optional<SnapshotOnSignal> on_signal;
  if (!o.heap_snapshot.empty()) on_signal.emplace((*runtime)->heap(), o.heap_snapshot);
  rt::Thread& t = (*runtime)->attach("main");
  int status = kOk;
  if (!o.gc_trace.empty()) {
    if (auto e = heap::start_gc_trace((*runtime)->heap(), *t.m, o.gc_trace)) {
      (*runtime)->detach(t);
      return input_error("run", e->describe());
    }
  }
  // A SIGQUIT before this waits, blocked, for the watcher.
  std::optional<DumpOnSignal> dumps;
  dumps.emplace(**runtime, *t.m);
  auto m = (*runtime)->load(t, o.file);
  if (!m) {
    if (t.exception != 0) {
      (*runtime)->report_uncaught(t, stderr);
      std::fprintf(stderr, "runa run: %s\n", m.error().describe().c_str());
      status = kBadInput;
    } else {
      status = input_error("run", m.error().describe());
    }
  } else {
    status = (*runtime)->run_main(t, **m);
    if (status < 0) {
      std::fflush(stdout);
      (*runtime)->report_uncaught(t, stderr);
      status = kBadInput;
    }
  }
  std::fflush(stdout);
  if (o.stats) print_stats((*runtime)->heap().stats());
  heap::Heap& h = (*runtime)->heap();
  if (!o.heap_profile.empty() && !write_profile(h, *t.m, o.heap_profile)) status = kBadInput;
  if (!o.heap_snapshot.empty() && !write_snapshot(h, *t.m, o.heap_snapshot)) status = kBadInput;
  on_signal.reset();
  dumps.reset();
  if (o.leak_check) std::fputs(heap::leak_report(h, *t.m).text().c_str(), stderr);
  if (!o.gc_trace.empty()) heap::stop_gc_trace(h, *t.m);
  if (!o.profile_dump.empty()) {
    if (std::FILE* f = std::fopen(o.profile_dump.c_str(), "w"); f != nullptr) {
      (*runtime)->dump_profiles(f);
      std::fclose(f);
    } else {
      status = input_error("run", "cannot write the profile dump " + o.profile_dump);
    }
  }
  (*runtime)->detach(t);
  (*runtime)->finish();
  // Nothing the program can see is left: its threads and actors have
  // ended. Freeing the heap, the type system and the tiers' memory one
  // object and one mapping at a time would only delay the exit, which
  // returns all of it at once (docs/engine.md, "Start-up"). The runtime is
  // still taken apart in the heap's debug mode (`verify`: a heap destroyed
  // with persistent handles held names where they were made) and in
  // sanitizer builds, so that the end-to-end tests check its destruction
  // for leaks and races too.
  if (kTakeApart || h.options().verify) {
    runtime->reset();
    return status;
  }
  std::fflush(nullptr);
  std::_Exit(status);
}

}  // namespace runa::cli
