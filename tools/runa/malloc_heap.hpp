// map_malloc_heap(): gives malloc the heap that starting a program fills,
// its pages mapped in one system call, before `run` builds the runtime.
//
// Why: building the runtime (the type system, the runtime's own module,
// the natives' records, the heap's side tables) grows malloc's heap by
// about 430 KB, and each first touch of one of its pages is a page fault:
// 48 of hello world's 92 faults, at about 10 us each on the project's
// virtual machines, where one madvise(MADV_POPULATE_WRITE) maps a page for
// about 0.6 us (measured with a test program: 128 pages faulted one by one
// or populated at once, 2026-12-07). The heap is grown ahead and populated; malloc then carves the
// runtime's allocations out of pages already mapped.
//
// How, without changing malloc's settings (mallopt would switch off its
// dynamic mmap threshold for the program's whole life): pieces below the
// mmap threshold are allocated up to kHeadroom (496 KiB), so that malloc
// grows its heap with brk as for any allocation; one small block is
// allocated after them, and the pieces are freed. The small block stays:
// it keeps the freed pieces from merging into the top of the heap, which
// malloc would otherwise give back to the kernel at once (its trim
// threshold). The freed pieces are one free chunk that later allocations
// are carved from. Populating cannot change what the heap holds: it only
// maps pages, already written ones untouched; a kernel without
// MADV_POPULATE_WRITE (before 5.14) refuses it and the pages fault in as
// before.
#pragma once

namespace runa::cli {

void map_malloc_heap();

}  // namespace runa::cli
