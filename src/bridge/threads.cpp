#include "bridge/threads.hpp"

#include <cstdio>
#include <cstdlib>

#include "bridge/runtime_impl.hpp"
#include "concurrency/blocking.hpp"
#include "runatime/ops.hpp"

namespace runa::bridge {

namespace {

heap::Layout thread_layout() {
  heap::Layout l;
  l.size = 16;  // header, the record's number
  l.name = "Thread";
  return l;
}

}  // namespace

Threads::Threads(rt::Runtime& r) : runtime_(r), layout_(r.heap(), thread_layout()) {}

bool Threads::is_thread(Value v) const {
  return layout_.holds(v);
}

bool Threads::spawn(rt::Thread& t, const Value* callable, std::string name, Value* out) {
  if (rt::ops::callee(t, *callable, 0) == nullptr) return false;
  auto type = layout_.type();
  if (!type) return rt::ops::raise(t, "ValueError", "thread_spawn: " + type.error().message);
  heap::Object* o = heap::allocate(*t.m, *type, 16);
  if (o == nullptr) return rt::ops::out_of_memory(t);
  auto record = std::make_unique<Record>();
  record->slot = runtime_.heap().new_persistent(*callable);
  Record& r = *record;
  // The OS thread starts under the lock, so a join that finds the record
  // (under the lock too) also sees r.os.
  std::lock_guard lock(mu_);
  const std::uint64_t number = next_++;
  records_.emplace(number, std::move(record));
  if (name.empty()) name = "thread " + std::to_string(number);
  r.os = std::thread([this, &r, name = std::move(name)] { run(r, name); });
  o->slots()[0] = number;
  *out = heap::ref_value(o);
  return true;
}

void Threads::run(Record& r, const std::string& name) {
  rt::Thread& t = runtime_.attach(name);
  {
    heap::HandleScope scope(*t.m);
    heap::Handle callee(*t.m, *r.slot);
    heap::Handle result(*t.m, Value{0});
    if (runtime_.call(t, callee.slot(), nullptr, 0, result.slot())) {
      *r.slot = result.value();
    } else {
      char* text = nullptr;
      std::size_t size = 0;
      if (std::FILE* f = open_memstream(&text, &size); f != nullptr) {
        runtime_.report_uncaught(t, f);
        std::fclose(f);
        r.report.assign(text, size);
        std::free(text);  // NOLINT(cppcoreguidelines-no-malloc): open_memstream's buffer
      }
      *r.slot = t.exception;
      r.threw = true;
      t.exception = 0;
      t.trace = 0;
    }
  }
  runtime_.detach(t);
}

void Threads::rename(rt::Thread& t, std::string name) {
  rt::ThreadRegistry& all = rt::impl_of(t).threads();
  std::lock_guard lock(all.mu);  // the dump reads names under it
  t.name = std::move(name);
}

std::optional<std::string> Threads::bad_name(std::string_view name) {
  if (name.empty()) return "a thread's name is not empty";
  std::size_t characters = 0;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return "a thread's name holds no control character";
    if ((byte & 0xC0) != 0x80) ++characters;  // a UTF-8 sequence's first byte
  }
  if (characters > kLongestName) {
    return "a thread's name is at most " + std::to_string(kLongestName) + " characters, not " +
           std::to_string(characters);
  }
  return std::nullopt;
}

bool Threads::join(rt::Thread& t, const Value* thread, Value* out) {
  std::unique_ptr<Record> r;
  {
    std::lock_guard lock(mu_);
    auto it = records_.find(heap::as_object(*thread)->slots()[0]);
    if (it != records_.end()) {
      r = std::move(it->second);
      records_.erase(it);
    }
  }
  if (r == nullptr)
    return rt::ops::raise(t, "ValueError", "thread_join: the thread was joined already");
  {
    concurrency::BlockingRegion region;
    r->os.join();
  }
  *out = *r->slot;
  runtime_.heap().free_persistent(r->slot);
  if (!r->threw) return true;
  heap::HandleScope scope(*t.m);
  heap::Handle e(*t.m, *out);
  return rt::ops::throw_value(t, e.slot());
}

void Threads::join_all() {
  std::map<std::uint64_t, std::unique_ptr<Record>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(records_);
  }
  for (auto& [number, r] : left) {
    r->os.join();
    runtime_.heap().free_persistent(r->slot);
    if (r->threw) {
      std::fprintf(stderr, "thread %llu, never joined, ended with:\n%s",
                   static_cast<unsigned long long>(number), r->report.c_str());
    }
  }
}

}  // namespace runa::bridge
