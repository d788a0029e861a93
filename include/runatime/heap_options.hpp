// runatime/heap_options.hpp — heap options (runa::heap::Options) as text:
// the one parser behind the environment variable RUNA_GC, the C ABI's
// rt_heap_options_parse, the benchmarks' command lines and, later, the
// flags of `runa run`.
//
// The text is a list of items separated by commas or white space:
//
//   max_heap=2g,nursery=64m,promotion_age=3,gc_threads=2,log,verify
//
//   - sizes (max_heap, nursery, tlab): a byte count, optionally followed by
//     k, m or g (KiB, MiB, GiB; any case), which may itself be followed by
//     b or ib: 65536, 64k, 64K, 64kb, 64KiB are the same size;
//   - counts (survivor_ratio, promotion_age, gc_threads, stress_every,
//     major_growth_percent): a decimal number;
//   - switches (log, verify, poison): the bare name turns one on;
//     name=1/0, true/false, on/off set it either way.
// Names take hyphens or underscores (max-heap, max_heap) in any case. An
// option given twice takes its last value.
//
// Parsing checks only the form of each value and that it fits the field
// (a count in `unsigned`, a size in `size_t`); whether the options make a
// heap (ranges, sizes that fit each other) is Heap::create's check, so that
// options from any source are judged by one rule.
#pragma once

#include <string>
#include <string_view>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"

namespace runa::heap {

// `base` with the items of `text` applied, or the first bad item as an
// Error (section "heap options"; the message names the option and quotes
// the value, and suggests the nearest name for an unknown one). Empty text
// gives `base`.
Result<Options> parse_options(std::string_view text, const Options& base = {});

// `base` with the text of the environment variable RUNA_GC applied (as
// parse_options); `base` itself when RUNA_GC is unset or empty. Errors have
// the section "RUNA_GC".
Result<Options> options_from_env(const Options& base = {});

// Every option as name=value, comma-separated, in a fixed order, sizes with
// the largest exact suffix: parse_options(describe_options(o)) == o.
std::string describe_options(const Options& o);

// True when `name` (hyphens or underscores, any case) is an option
// parse_options knows: lets a command line take `--max-heap=2g` beside its
// own flags.
bool is_option_name(std::string_view name);

// A table of the options for help screens: one line each with the form of
// its value, what it does and its default. Never null; lives forever.
const char* options_help();

}  // namespace runa::heap
