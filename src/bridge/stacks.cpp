// Stacks for heap samples (stacks.hpp).
#include "bridge/stacks.hpp"

namespace runa::bridge {
namespace {

// A deep recursion's profile keeps the innermost frames, as traces do.
constexpr std::size_t kSampleFrames = 64;

thread_local rt::Thread* t_current = nullptr;

}  // namespace

void set_current_thread(rt::Thread* t) {
  t_current = t;
}

void describe_stack(void* /*ctx*/, heap::Mutator& m, std::vector<heap::StackFrame>& out) {
  rt::Thread* t = t_current;
  if (t == nullptr || t->m != &m) return;
  t->runtime->walk(
      *t,
      [](void* c, const rt::FrameInfo& f) {
        auto* frames = static_cast<std::vector<heap::StackFrame>*>(c);
        heap::StackFrame frame{std::string(f.function->name()), "", 0};
        if (const rt::ModuleInfo* module = f.function->module; module != nullptr) {
          auto [file, line] = module->where(*f.function, f.offset);
          frame.file = std::string(file);
          frame.line = line;
        }
        frames->push_back(std::move(frame));
        return frames->size() < kSampleFrames;
      },
      &out);
}

}  // namespace runa::bridge
