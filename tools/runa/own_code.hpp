// map_own_code(): maps runa's whole machine code at once, before `run`
// executes any of it.
//
// Why: starting a program runs code from all over runa's 3 MB of text (the
// heap, the type system, the bridge, tier 0, the natives), and each first
// touch of a 64 KiB window is a page fault that maps the window from the
// page cache. On a virtual machine a fault costs 12-25 us: `runa run` of
// hello world took about 40 of them in runa's text alone. One
// madvise(MADV_POPULATE_READ) over the text maps every page in a single
// system call (220-290 us for 3.1 MB here, against about 1 ms for the
// windows faulted one by one). Nothing is read from disk that a fault
// would not read: the executable's pages are in the page cache as soon as
// exec has run it. Kernels before 5.14 refuse the advice, and then the
// pages fault in as before.
#pragma once

namespace runa::cli {

void map_own_code();

}  // namespace runa::cli
