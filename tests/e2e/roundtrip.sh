#!/usr/bin/env bash
# roundtrip.sh RUNA EXAMPLE.runas WORKDIR
# The example assembles and verifies; disassembling it (with and without the
# listing annotations) and assembling the text again gives the same bytes.
source "$(dirname "$0")/lib.sh"
runa=$1 example=$2 work=$3
rm -rf "$work" && mkdir -p "$work"

run "$runa" asm "$example" -o "$work/a.runab"
expect 0 "runa asm $example"
run "$runa" verify "$work/a.runab"
expect 0 "runa verify"
expect_out "ok (" "runa verify reports success"

for mode in annotated plain; do
  flags=()
  [[ $mode == plain ]] && flags=(--no-annotate)
  run "$runa" dis "${flags[@]}" "$work/a.runab" -o "$work/$mode.runas"
  expect 0 "runa dis ($mode)"
  run "$runa" asm "$work/$mode.runas" -o "$work/$mode.runab"
  expect 0 "runa asm of the $mode listing"
  cmp -s "$work/a.runab" "$work/$mode.runab" || fail "the $mode listing does not reassemble to the same bytes"
done
# The annotated listing shows offsets and descriptions.
grep -q '@0000' "$work/annotated.runas" || fail "the listing has no @0000 offset column"
finish
