// Standard input line by line: node has no blocking line reader, so this
// reads 64 KiB blocks with fs.readSync and cuts them at "\n" itself (what
// the other languages' line readers do inside). The counting is the same
// as the other programs'.
const fs = require("fs");
const { StringDecoder } = require("string_decoder");
const counts = new Map();

function countLine(raw) {
  const line = raw.toLowerCase();
  for (const word of line.split(" ")) {
    if (word === "") continue;
    const c = counts.get(word);
    counts.set(word, c === undefined ? 1 : c + 1);
  }
}

const buffer = Buffer.alloc(65536);
const decoder = new StringDecoder("utf8"); // keeps a character cut by a block
let rest = "";
for (;;) {
  let got;
  try {
    got = fs.readSync(0, buffer, 0, buffer.length, null);
  } catch (e) {
    if (e.code === "EAGAIN") continue;
    if (e.code === "EOF") break;
    throw e;
  }
  if (got === 0) break;
  const text = rest + decoder.write(buffer.subarray(0, got));
  let start = 0;
  let nl = text.indexOf("\n", start);
  while (nl !== -1) {
    countLine(text.slice(start, nl));
    start = nl + 1;
    nl = text.indexOf("\n", start);
  }
  rest = text.slice(start);
}
rest += decoder.end();
if (rest !== "") countLine(rest);

console.log(`distinct: ${counts.size}`);
for (const w of ["the", "and", "of", "to", "a"]) {
  const c = counts.get(w);
  console.log(`${w}: ${c === undefined ? 0 : c}`);
}
