#include "types/suspensions.hpp"

#include <atomic>

namespace runa::types {

namespace {

using heap::Object;

// The suspension's slots: two references, then three raw words.
constexpr std::size_t kCallee = 0;
constexpr std::size_t kFrame = 1;
constexpr std::size_t kStatus = 2;
constexpr std::size_t kOffset = 3;
constexpr std::size_t kShape = 4;
constexpr std::uint32_t kBytes = 8 + 8 * 5;
// In the status word above the Status: the frame has been saved once (its
// values are a frame's, no longer the arguments).
constexpr std::uint64_t kStarted = 0x100;

// The shape word: slots in the low 32 bits, the operand values in the next
// 16, the open try statements in the top 16 (the verifier bounds a frame's
// stack and nesting far below these).
std::uint64_t pack(Suspensions::Shape s) {
  return s.slots | (std::uint64_t{s.stack} << 32) | (std::uint64_t{s.handlers} << 48);
}

std::uint64_t& word(Value s, std::size_t i) {
  return heap::as_object(s)->slots()[i];
}

// The status word, read and written atomically: a pool task's coroutine
// runs on one thread and is claimed, or read, on another.
std::atomic_ref<std::uint64_t> status_word(Value s) {
  return std::atomic_ref<std::uint64_t>(word(s, kStatus));
}

Result<std::uint32_t> suspension_layout(heap::Heap& heap, const char* name) {
  static const char* const kFieldNames[] = {"callee", "frame"};
  heap::Layout l;
  l.kind = heap::LayoutKind::kPlain;
  l.size = kBytes;
  l.refs = 2;
  l.name = name;
  l.field_names = kFieldNames;
  return heap.register_layout(l);
}

}  // namespace

Result<Suspensions> Suspensions::create(heap::Heap& heap) {
  auto generator = suspension_layout(heap, "Generator");
  if (!generator) return generator.error();
  auto coroutine = suspension_layout(heap, "Coroutine");
  if (!coroutine) return coroutine.error();
  heap::Layout f;
  f.kind = heap::LayoutKind::kRefArray;
  f.name = "Frame";
  auto frame = heap.register_layout(f);
  if (!frame) return frame.error();
  return Suspensions(*generator, *coroutine, *frame);
}

// Pointer operands are root slots, which the collector writes.
// NOLINTBEGIN(readability-non-const-parameter)
Value Suspensions::make(heap::Mutator& m, bool generator, Value* callee, Value* args,
                        std::uint32_t n) const {
  heap::HandleScope scope(m);
  heap::Handle frame(m, kNothing);
  if (n > 0) {
    Object* a = heap::allocate_array(m, frame_type_, heap::ref_array_bytes(n), n);
    if (a == nullptr) return kNothing;
    // Initialising stores: nothing may collect until the last one.
    for (std::uint32_t i = 0; i < n; ++i) heap::array_slots(a)[i] = args[i];
    frame.set(heap::ref_value(a));
  }
  Object* o = heap::allocate(m, generator ? generator_type_ : coroutine_type_, kBytes);
  if (o == nullptr) return kNothing;
  o->slots()[kCallee] = *callee;
  o->slots()[kFrame] = frame.value();
  o->slots()[kStatus] = static_cast<std::uint64_t>(Status::kCreated);
  o->slots()[kShape] = pack(Shape{n, 0, 0});
  return heap::ref_value(o);
}

bool Suspensions::save(heap::Mutator& m, Value* s, std::uint32_t offset, Shape shape,
                       Value* values) const {
  const std::uint32_t n = shape.values();
  Value frame = heap::as_object(*s)->slots()[kFrame];
  if (n > 0 && (frame == kNothing || heap::array_length(heap::as_object(frame)) < n)) {
    Object* a = heap::allocate_array(m, frame_type_, heap::ref_array_bytes(n), n);
    if (a == nullptr) return false;
    frame = heap::ref_value(a);
    heap::set_slot(m, heap::as_object(*s), kFrame, frame);
  }
  if (n > 0) {
    Object* a = heap::as_object(frame);
    for (std::uint32_t i = 0; i < n; ++i) heap::write(m, a, heap::array_slots(a) + i, values[i]);
  }
  word(*s, kOffset) = offset;
  word(*s, kShape) = pack(shape);
  // release: the next runner, on any thread, claims it (claim()) and sees the frame.
  status_word(*s).store(static_cast<std::uint64_t>(Status::kSuspended) | kStarted,
                        std::memory_order_release);
  return true;
}

// NOLINTEND(readability-non-const-parameter)

Suspensions::Status Suspensions::status(Value s) {
  return static_cast<Status>(status_word(s).load(std::memory_order_acquire) & 0xFF);
}

void Suspensions::set_status(Value s, Status status) {
  std::atomic_ref<std::uint64_t> w = status_word(s);
  w.store((w.load(std::memory_order_relaxed) & kStarted) | static_cast<std::uint64_t>(status),
          std::memory_order_release);
}

Suspensions::Status Suspensions::claim(Value s) {
  std::atomic_ref<std::uint64_t> w = status_word(s);
  std::uint64_t seen = w.load(std::memory_order_acquire);
  for (;;) {
    const auto now = static_cast<Status>(seen & 0xFF);
    if (now != Status::kCreated && now != Status::kSuspended) return now;
    const std::uint64_t running = (seen & kStarted) | static_cast<std::uint64_t>(Status::kRunning);
    if (w.compare_exchange_weak(seen, running, std::memory_order_acq_rel)) return now;
  }
}

bool Suspensions::started(Value s) {
  return (status_word(s).load(std::memory_order_acquire) & kStarted) != 0;
}

Value Suspensions::callee(Value s) {
  return heap::as_object(s)->slots()[kCallee];
}

std::uint32_t Suspensions::offset(Value s) {
  return static_cast<std::uint32_t>(word(s, kOffset));
}

Suspensions::Shape Suspensions::shape(Value s) {
  const std::uint64_t w = word(s, kShape);
  return {static_cast<std::uint32_t>(w), static_cast<std::uint32_t>((w >> 32) & 0xFFFF),
          static_cast<std::uint32_t>(w >> 48)};
}

Value* Suspensions::values(Value s) {
  const Value frame = heap::as_object(s)->slots()[kFrame];
  return frame == kNothing ? nullptr : heap::array_slots(heap::as_object(frame));
}

}  // namespace runa::types
