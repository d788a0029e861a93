// Standard input read whole, then split into lines (node has no blocking
// line reader); the counting is the same as the other programs'.
const text = require("fs").readFileSync(0, "utf8");
const counts = new Map();
const lines = text.split("\n");
if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
for (const raw of lines) {
  const line = raw.toLowerCase();
  for (const word of line.split(" ")) {
    if (word === "") continue;
    const c = counts.get(word);
    counts.set(word, c === undefined ? 1 : c + 1);
  }
}
console.log(`distinct: ${counts.size}`);
for (const w of ["the", "and", "of", "to", "a"]) console.log(`${w}: ${counts.get(w) || 0}`);
