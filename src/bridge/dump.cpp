// The thread dump (Runtime::dump): every attached thread's stack across
// tiers and its scheduler's tasks, then the program's actors and pool
// tasks (whose registry's lock no thread holds at a safepoint), read with the
// world stopped so that no frame, task or actor changes under the reader
// (docs/concurrency.md, "Dumps").
//
// Why it is safe to read other threads' state here: a stopped thread is
// parked at a safepoint or in a native region, and a tier writes its frame
// records back before either (tier 0's SYNC), as the collector needs; the
// registry's lock keeps a detaching thread's records alive, and no thread
// holds that lock at a safepoint (runtime_impl.hpp, ThreadRegistry).
#include <string>

#include "bridge/runtime_impl.hpp"
#include "bridge/scheduler.hpp"

namespace runa::rt {

namespace {

struct Dump {
  Runtime* runtime = nullptr;
  std::string out;
};

bool frame_line(void* ctx, const FrameInfo& f) {
  std::string& out = *static_cast<std::string*>(ctx);
  out += "    at " + std::string(f.function->name());
  if (f.function->module != nullptr) {
    auto [file, line] = f.function->module->where(*f.function, f.offset);
    if (line > 0) out += " (" + std::string(file) + ":" + std::to_string(line) + ")";
  }
  out += "\n";
  return true;
}

void dump_stopped(void* ctx) {
  Dump& d = *static_cast<Dump*>(ctx);
  ThreadRegistry& threads = d.runtime->impl().threads();
  std::lock_guard lock(threads.mu);
  d.out += "RunaTime thread dump: " + std::to_string(threads.all.size()) + " thread" +
           (threads.all.size() == 1 ? "" : "s") + "\n";
  for (Thread* t : threads.all) {
    d.out += "thread " + std::to_string(t->id) + " \"" + t->name + "\"\n";
    const std::size_t before = d.out.size();
    d.runtime->walk(*t, frame_line, &d.out);
    if (d.out.size() == before) d.out += "    (no Runa frames)\n";
    if (t->scheduler != nullptr) {
      std::string tasks;
      static_cast<const bridge::Scheduler*>(t->scheduler)->describe(tasks);
      if (!tasks.empty()) d.out += "  tasks:\n" + tasks;
    }
  }
  // Beside the threads: the program's actors (actors.cpp, "The dump", says
  // why reading them here is safe and never waits for a stopped thread).
  d.runtime->impl().actors().describe(d.out);
  d.runtime->impl().pool_tasks().describe(d.out);
}

}  // namespace

std::string Runtime::dump(heap::Mutator& m) {
  Dump d{this, {}};
  impl_->heap().stopped(m, dump_stopped, &d);
  return std::move(d.out);
}

}  // namespace runa::rt
