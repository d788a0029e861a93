// The natives that reach the process and the runtime (docs/natives.md):
// time and clocks, the program's arguments and exit, standard input, a
// file read whole, reflection, and the collector's control and statistics.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "bridge/native_args.hpp"

namespace runa::bridge {

namespace {

std::int64_t nanoseconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Nanoseconds since the Unix epoch (the wall clock).
NativeStatus time_now_ns(NativeCall& call) {
  return return_value(call,
                      types::make_int(call.types.context(), call.m, nanoseconds(CLOCK_REALTIME)));
}

// Nanoseconds of a monotonic clock: for measuring intervals.
NativeStatus clock_ns(NativeCall& call) {
  return return_value(call,
                      types::make_int(call.types.context(), call.m, nanoseconds(CLOCK_MONOTONIC)));
}

// The List of the program's arguments (the one main receives).
NativeStatus program_arguments(NativeCall& call) {
  call.result = call.arguments != nullptr ? *call.arguments : types::kNothing;
  return NativeStatus::kReturn;
}

// Ends the process with `status` at once: standard output is flushed;
// finally blocks and finalizers do not run (docs/natives.md).
NativeStatus exit_process(NativeCall& call) {
  NativeStatus failed{};
  const auto status = int_arg(call, "exit", 0, &failed);
  if (!status) return failed;
  std::fflush(call.out);
  std::fflush(stdout);
  std::_Exit(static_cast<int>(static_cast<std::uint64_t>(*status) & 0xFF));
}

// The next line of standard input without its "\n" (or "\r\n"), or nothing
// at the end of input. Bytes that are not UTF-8 raise ValueError. What the
// program printed is flushed first, so a prompt shows before the wait even
// when standard output is a pipe or a file (as Python's input() does).
NativeStatus read_line(NativeCall& call) {
  std::fflush(call.out);
  // One getline() per line into this thread's buffer (not a getc per byte).
  thread_local char* buffer = nullptr;
  thread_local std::size_t capacity = 0;
  ssize_t n = 0;
  {
    heap::NativeRegion region(call.m);  // a read may block: never delay a collection
    n = getline(&buffer, &capacity, call.in);
  }
  if (n < 0) {
    call.result = types::kNothing;
    return NativeStatus::kReturn;
  }
  std::string_view line(buffer, static_cast<std::size_t>(n));
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const auto s = call.types.strings().make_checked(call.m, line);
  if (!s) return raise(call, "ValueError", "read_line: the line is not UTF-8 text");
  return return_value(call, *s);
}

NativeStatus text_from(NativeCall& call, std::FILE* f, std::string_view native) {
  std::string text;
  {
    heap::NativeRegion region(call.m);
    char buffer[65536];
    for (std::size_t n = 0; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) {
      text.append(buffer, n);
    }
  }
  const auto s = call.types.strings().make_checked(call.m, text);
  if (!s) return raise(call, "ValueError", std::string(native) + ": the input is not UTF-8 text");
  return return_value(call, *s);
}

// The rest of standard input, as one String.
NativeStatus read_all(NativeCall& call) {
  std::fflush(call.out);  // as read_line: the prompt first
  return text_from(call, call.in, "read_all");
}

// A whole file as one String.
NativeStatus read_file_text(NativeCall& call) {
  if (auto wrong = want_strings(call, "read_file_text", 1)) return *wrong;
  const std::string path = text_arg(call, 0);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return raise(call, "IOError",
                 "read_file_text: cannot open " + path + ": " + std::strerror(errno));
  }
  const NativeStatus s = text_from(call, f, "read_file_text");
  std::fclose(f);
  return s;
}

// The name of a value's type: "Integer", "List[Any]", a struct's name;
// for a built-in object with no type descriptor (a Generator, a Task), its
// layout's name.
NativeStatus type_name(NativeCall& call) {
  const Value v = *call.args[0];
  const types::TypeDesc* t = call.types.type_of(v);
  if (t != nullptr) return return_text(call, t->name);
  if (heap::is_ref(v)) {
    const heap::Layout* l =
        call.types.heap().layout(heap::hdr::type_of(heap::as_object(v)->load_header()));
    if (l != nullptr) return return_text(call, l->name);
  }
  return return_text(call, "Any");
}

// Collects now: the whole heap when `major` is true, else the nursery.
NativeStatus gc_collect(NativeCall& call) {
  const Value major = *call.args[0];
  if (!types::is_boolean(major)) return wrong_argument(call, "gc_collect", 0, "a Boolean");
  call.types.heap().collect(call.m, types::as_boolean(major));
  return NativeStatus::kReturn;
}

// The collector's statistics as a Dictionary of Integers.
NativeStatus gc_stats(NativeCall& call) {
  const heap::Stats s = call.types.heap().stats();
  const std::pair<const char*, std::uint64_t> fields[] = {
      {"minor_collections", s.minor_collections},
      {"major_collections", s.major_collections},
      {"total_pause_ns", s.total_pause_ns},
      {"max_pause_ns", s.max_pause_ns},
      {"allocated_bytes", s.allocated_bytes},
      {"promoted_bytes", s.promoted_bytes},
      {"old_bytes", s.old_bytes},
      {"committed_bytes", s.committed_bytes},
  };
  heap::HandleScope scope(call.m);
  heap::Handle map(call.m, call.types.dictionaries().make(call.m, std::size(fields)));
  if (map.value() == types::kNothing) return NativeStatus::kOutOfMemory;
  heap::Handle key(call.m, types::kNothing);
  heap::Handle value(call.m, types::kNothing);
  for (const auto& [name, n] : fields) {
    key.set(call.types.strings().make(call.m, name));
    value.set(types::make_int(call.types.context(), call.m, static_cast<std::int64_t>(n)));
    if (key.value() == types::kNothing || value.value() == types::kNothing) {
      return NativeStatus::kOutOfMemory;
    }
    const auto st = call.types.dictionaries().set(call.m, map, key, value);
    if (st == types::Dictionaries::Status::kOutOfMemory) return NativeStatus::kOutOfMemory;
  }
  call.result = map.value();
  return NativeStatus::kReturn;
}

}  // namespace

void add_system_natives(Natives& natives) {
  natives.add("time_now_ns", 0, time_now_ns);
  natives.add("clock_ns", 0, clock_ns);
  natives.add("program_arguments", 0, program_arguments);
  natives.add("exit", 1, exit_process);
  natives.add("read_line", 0, read_line);
  natives.add("read_all", 0, read_all);
  natives.add("read_file_text", 1, read_file_text);
  natives.add("type_name", 1, type_name);
  natives.add("gc_collect", 1, gc_collect);
  natives.add("gc_stats", 0, gc_stats);
}

}  // namespace runa::bridge
