// Shared pieces of the `runa` command: exit codes, argument parsing and
// writing files (reading them is module::read_file and load_file).
//
// Every subcommand follows one contract: exit 0 on success, 1 when the input
// is bad (with one line saying what and where), 2 when the command line is
// wrong (with the usage). Messages go to stderr, results to stdout.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runatime/module.hpp"

namespace runa::cli {

enum Exit : int { kOk = 0, kBadInput = 1, kUsage = 2 };

// A subcommand's arguments split into options and positional operands.
struct Args {
  std::vector<std::string_view> operands;
  std::vector<std::string_view> flags;     // e.g. "--no-annotate"
  std::optional<std::string_view> output;  // -o FILE
  bool help = false;
  std::optional<std::string> error;  // a usage error, already worded
};
// `known` lists the flags the subcommand accepts (besides -o, -h, --help).
Args parse(std::span<char*> argv, std::span<const std::string_view> known, bool takes_output);
bool has(const Args& a, std::string_view flag);

// Prints "runa CMD: message" and the hint to use --help; returns kUsage.
int usage_error(std::string_view cmd, std::string_view message);
// Prints "runa CMD: message"; returns kBadInput.
int input_error(std::string_view cmd, std::string_view message);

// Writes through a temporary file in the same directory and renames it over
// `path`, so that a reader never sees a half-written module.
bool write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes,
                       std::string& error);

}  // namespace runa::cli
