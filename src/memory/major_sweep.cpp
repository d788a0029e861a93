// The major collection's sweep of object blocks (step 6 of major_gc.hpp),
// walked several blocks at a time.
//
// Why interleaved. A block is walked object by object from its start, and
// the next object's header is known only once the current one's size is:
// one dependent load after another, each a cache miss when objects are
// large or were last touched long ago. In the pause workload (objects of
// about 1 KiB, blocks last written by promotions seconds before) 94% of
// the sweep's samples sat on that load, and the sweep took more of the
// major pause than marking did. Walks of different blocks are independent,
// so a worker takes a claim of up to kSweepChunk blocks and steps their
// walks in turn, one object each, prefetching each walk's next header as
// it advances: by the time a walk's turn comes round again its header has
// arrived, and up to kSweepChunk misses are in flight instead of one.
//
// Runs of filler words (the holes earlier sweeps zeroed) are skipped
// within one turn: they are read in address order, which the hardware
// prefetches by itself.
#include <array>
#include <cstring>

#include "memory/major_gc.hpp"

namespace runa::heap {

// Where the walk is, and the line map, object bytes and top its block's
// marked objects make.
struct MajorGC::BlockWalk {
  std::size_t index = 0;
  std::uint8_t* start = nullptr;
  std::uint32_t end = 0;  // the block's top before the sweep
  std::uint32_t off = 0;
  LineMap lines{};
  std::uint32_t bytes = 0;
  std::uint32_t top = 0;
};

void MajorGC::sweep_chunk(std::size_t begin, std::size_t end) {
  auto finish = [&](const BlockWalk& w) {
    h_.places.forget_free(w.index, w.lines);
    h_.blocks.sweep_block(w.index, w.lines, w.bytes, w.top);
  };
  std::array<BlockWalk, kSweepChunk> walks;
  std::size_t n = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const BlockInfo& b = h_.blocks.info(i);
    if (b.kind != BlockKind::kObjects) continue;
    // Nothing marked in place: released without a walk (an empty one). Its
    // dead objects need no filler, since a free block is zeroed when it is
    // taken (block_space.hpp); the test mode still poisons them one by one.
    if (b.reached == 0 && !h_.opt.poison) {
      finish(BlockWalk{.index = i});
      continue;
    }
    BlockWalk& w = walks[n++];
    w = BlockWalk{.index = i, .start = h_.blocks.block(i), .end = b.top};
    __builtin_prefetch(w.start);
  }
  while (n > 0) {
    for (std::size_t k = 0; k < n;) {
      BlockWalk& w = walks[k];
      if (w.off >= w.end) {
        finish(w);
        w = walks[--n];  // the last walk takes this turn's place
        continue;
      }
      step(w);
      __builtin_prefetch(w.start + w.off);
      ++k;
    }
  }
}

void MajorGC::step(BlockWalk& w) const {
  std::uint8_t* start = w.start;
  std::uint32_t& off = w.off;
  auto* o = reinterpret_cast<Object*>(start + off);
  std::uint64_t h = o->header;
  if (is_filler(h)) {
    do off += 8;
    while (off < w.end && is_filler(*reinterpret_cast<const std::uint64_t*>(start + off)));
    return;
  }
  // An evacuated object's size is its copy's (its header is a forwarding word).
  Object* self = (h & hdr::kForwarded) != 0 ? as_object(h & ~hdr::kForwarded) : o;
  auto size =
      static_cast<std::uint32_t>(object_size(h_.layouts.at(hdr::type_of(self->header)), self));
  if (self == o && marked(o)) {
    for (std::size_t l = off / kLine; l <= (off + size - 1) / kLine; ++l) w.lines[l] = 1;
    w.bytes += size;
    w.top = off + size;
  } else if (h_.opt.poison) {
    poison_words(start + off, size);
  } else {
    std::memset(start + off, 0, size);
  }
  off += size;
}

}  // namespace runa::heap
