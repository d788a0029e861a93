// Thread-local storage for programs: thread_locals.hpp states what is owned
// and the invariants.
//
// Why a registry. A key's finalizer runs on the heap's finalizer thread
// and is given only the dead object; it must find the ThreadLocals the key
// belongs to, which dies before its heap (RuntimeImpl's members), while the
// finalizer thread runs until the heap dies. The interleaving to rule out:
// the runtime's end frees the ThreadLocals while a finalizer, having read
// the key's owner, is about to erase entries from its Tables. So owners
// are found by number in an immortal registry, and both sides hold the
// registry's lock: the finalizer for the whole of its erasing, the
// destructor to take its number out. A finalizer that comes after finds no
// owner and does nothing (the Tables went with their threads). Numbers are
// never reused, so a finalizer never reaches a newer ThreadLocals that
// took a dead one's address.
#include "bridge/thread_locals.hpp"

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace runa::bridge {

namespace {

struct Registry {
  std::mutex mu;
  std::unordered_map<std::uint64_t, ThreadLocals*> live;
  std::uint64_t next = 1;
  static Registry& all() {
    static auto* registry = new Registry;  // never destroyed: see the header
    return *registry;
  }
};

std::uint64_t enrol(ThreadLocals* locals) {
  Registry& r = Registry::all();
  std::lock_guard lock(r.mu);
  const std::uint64_t number = r.next++;
  r.live.emplace(number, locals);
  return number;
}

constexpr std::uint32_t kKeyBytes = 32;  // header, initial value, owner, number
constexpr std::size_t kInitial = 0;      // the reference field
constexpr std::size_t kOwner = 1;        // raw words after it
constexpr std::size_t kNumber = 2;

}  // namespace

struct ThreadLocals::Table {
  explicit Table(heap::Heap& h) : heap(h) {}
  ~Table() {
    for (auto& [key, slot] : values) heap.free_persistent(slot);
  }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  Table(Table&&) = delete;
  Table& operator=(Table&&) = delete;

  heap::Heap& heap;
  std::mutex mu;                                     // values
  std::unordered_map<std::uint64_t, Value*> values;  // key number -> persistent slot
};

// The heap's Finalizer for keys (a friend, to reach forget()).
struct KeyFinalizer {
  static void finalize(heap::Mutator& /*m*/,
                       heap::Value* v) {  // NOLINT(readability-non-const-parameter)
    heap::Object* key = heap::as_object(*v);
    Registry& r = Registry::all();
    std::lock_guard lock(r.mu);  // held while erasing: see the header
    auto it = r.live.find(key->slots()[kOwner]);
    if (it != r.live.end()) it->second->forget(key->slots()[kNumber]);
  }
};

namespace {

heap::Layout key_layout() {
  static constexpr const char* kFields[] = {"initial"};
  heap::Layout l;
  l.size = kKeyBytes;
  l.refs = 1;
  l.finalizable = true;
  l.finalizer = &KeyFinalizer::finalize;
  l.name = "ThreadLocal";
  l.field_names = kFields;
  return l;
}

}  // namespace

ThreadLocals::ThreadLocals(heap::Heap& heap)
    : heap_(heap), number_(enrol(this)), keys_(heap, key_layout()) {}

ThreadLocals::~ThreadLocals() {
  Registry& r = Registry::all();
  std::lock_guard lock(r.mu);
  r.live.erase(number_);
}

bool ThreadLocals::is_key(Value v) const {
  return keys_.holds(v);
}

Result<bool> ThreadLocals::make_key(heap::Mutator& m, const Value* initial, Value* out) {
  auto type = keys_.type();
  if (!type) return type.error();
  heap::Object* o = heap::allocate_finalizable(m, *type, kKeyBytes);
  if (o == nullptr) return false;
  heap::set_slot(m, o, kInitial, *initial);  // read after the allocation, which may move it
  o->slots()[kOwner] = number_;
  o->slots()[kNumber] = next_.fetch_add(1, std::memory_order_relaxed);
  *out = heap::ref_value(o);
  return true;
}

Value ThreadLocals::get(const rt::Thread& t, Value key) {
  heap::Object* k = heap::as_object(key);
  if (auto* table = static_cast<Table*>(t.locals)) {
    std::lock_guard lock(table->mu);
    auto it = table->values.find(k->slots()[kNumber]);
    if (it != table->values.end()) return *it->second;
  }
  return k->slots()[kInitial];
}

void ThreadLocals::set(rt::Thread& t, Value key, Value value) {
  auto* table = static_cast<Table*>(t.locals);
  if (table == nullptr) {
    // Owned by the thread (t.locals) until release(); tables_ only lists it.
    table = new Table(heap_);  // NOLINT(cppcoreguidelines-owning-memory)
    t.locals = table;
    std::lock_guard lock(mu_);
    tables_.insert(table);
  }
  const std::uint64_t number = heap::as_object(key)->slots()[kNumber];
  std::lock_guard lock(table->mu);
  auto [it, fresh] = table->values.try_emplace(number, nullptr);
  if (fresh) {
    it->second = heap_.new_persistent(value);
  } else {
    *it->second = value;
  }
}

void ThreadLocals::release(rt::Thread& t) {
  std::unique_ptr<Table> table(static_cast<Table*>(std::exchange(t.locals, nullptr)));
  if (table == nullptr) return;
  std::lock_guard lock(mu_);
  tables_.erase(table.get());
  // Freed after the lock (declared before it): no finalizer can reach it now.
}

void ThreadLocals::forget(std::uint64_t key) {
  std::lock_guard lock(mu_);
  for (Table* table : tables_) {
    std::lock_guard held(table->mu);
    auto it = table->values.find(key);
    if (it == table->values.end()) continue;
    heap_.free_persistent(it->second);
    table->values.erase(it);
  }
}

}  // namespace runa::bridge
