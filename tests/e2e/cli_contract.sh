#!/usr/bin/env bash
# cli_contract.sh RUNA SOURCE_DIR WORKDIR
# The `runa` command's contract: --help everywhere, exit 2 on usage errors,
# exit 1 with a message that names the problem on bad input, nothing written
# when assembling fails.
source "$(dirname "$0")/lib.sh"
runa=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"

run "$runa"
expect 2 "runa without a command"
expect_err "usage: runa" "runa without a command prints the usage"
run "$runa" --help
expect 0 "runa --help"
expect_out "verify" "runa --help lists verify"
run "$runa" frobnicate
expect 2 "an unknown command"
expect_err "unknown command 'frobnicate'" "an unknown command is named"
run "$runa" --version
expect 0 "runa --version"
for cmd in verify dis asm; do
  run "$runa" "$cmd" --help
  expect 0 "runa $cmd --help"
  expect_out "usage: runa $cmd" "runa $cmd --help prints its usage"
  run "$runa" help "$cmd"
  expect 0 "runa help $cmd"
  run "$runa" "$cmd" --bogus-option
  expect 2 "runa $cmd with an unknown option"
  expect_err "unknown option '--bogus-option'" "runa $cmd names the unknown option"
done
run "$runa" verify
expect 2 "runa verify without a file"
run "$runa" asm "$src/examples/add.runas"
expect 2 "runa asm without -o"
expect_err "-o OUT.runab" "runa asm says how to give the output"

# Bad input: exit 1 and a message saying what and where.
run "$runa" verify "$work/missing.runab"
expect 1 "verifying a missing file"
expect_err "cannot open" "a missing file is reported"
printf 'hello, world\n' >"$work/text.runab"
run "$runa" verify "$work/text.runab"
expect 1 "verifying a text file"
expect_err "does not start with 'RUNABYTC'" "a non-module is recognised"
run "$runa" asm "$src/examples/add.runas" -o "$work/add.runab"
expect 0 "assembling add.runas"
head -c 40 "$work/add.runab" >"$work/cut.runab"
run "$runa" verify "$work/cut.runab"
expect 1 "verifying a truncated module"
expect_err "byte 0x" "a truncated module's error has a byte offset"
run "$runa" dis "$work/cut.runab"
expect 1 "disassembling a truncated module"

printf '.function 1 main type Nope\n  LOAD_LOCL 0\n.end\n' >"$work/bad.runas"
run "$runa" asm "$work/bad.runas" -o "$work/bad.runab"
expect 1 "assembling a broken .runas"
expect_err "bad.runas:" "an assembler error names the file"
[[ ! -e $work/bad.runab ]] || fail "a failed assembly left an output file"

# A module that assembles but does not verify: rejected unless --no-verify.
cat >"$work/underflow.runas" <<'RUNAS'
.type 1 primitive Integer
.type 2 function "()->Integer" params returns Integer
.function 1 main type 2
  ADD
  RETURN
.end
RUNAS
run "$runa" asm "$work/underflow.runas" -o "$work/underflow.runab"
expect 1 "assembling a module whose stack underflows"
expect_err "does not verify" "the verifier's rejection is reported"
run "$runa" asm --no-verify "$work/underflow.runas" -o "$work/underflow.runab"
expect 0 "assembling it with --no-verify"
run "$runa" verify "$work/underflow.runab"
expect 1 "verifying the underflowing module"
expect_err "function 1" "the error names the function"
expect_err "byte 0x" "the error names the byte offset"
finish
