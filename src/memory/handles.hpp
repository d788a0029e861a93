// Handles and registered roots: everything the collector starts from
// besides the remembered set.
//
//  - Handle scopes: per mutator, a stack of chunks of kHandleChunk slots
//    (MutatorRecord::chunks). Mutator::handle_top/handle_limit delimit the
//    free part of the current chunk; a scope saves and restores the pair.
//    The chunk whose end is handle_limit is the current one: the chunks
//    before it are full, those after it are unused (kept for reuse).
//  - Persistent slots: a global arena of chunks with a free list threaded
//    through the free slots themselves. A free slot holds (next << 3) | 1,
//    an immediate, so the collector can visit every slot of the arena
//    without knowing which are free.
//  - Root sets: ranges of slots registered by the runtime.
//  - Frame enumerators: per-mutator callbacks (MutatorRecord::frames).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "memory/mutators.hpp"

namespace runa::heap {

class PersistentArena {
 public:
  static constexpr std::size_t kChunk = 1024;

  Value* take(Value v);
  void give(Value* slot);
  void visit(RootVisitor& v);
  [[nodiscard]] std::size_t in_use() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Value[]>> chunks_;
  std::uint64_t free_ = 0;  // index + 1 of the first free slot; 0: none
  std::size_t in_use_ = 0;
};

class RootSets {
 public:
  std::uint64_t add(Value* slots, std::size_t count);
  void remove(std::uint64_t id);
  void visit(RootVisitor& v);
  std::size_t count();  // registered now

 private:
  struct Range {
    std::uint64_t id;
    Value* slots;
    std::size_t count;
  };
  std::mutex mu_;
  std::vector<Range> ranges_;
  std::uint64_t next_id_ = 1;
};

}  // namespace runa::heap
