// A test tool of RunaTime's heap snapshots: loads a .heapsnapshot with
// memlab's own parser (@memlab/core, pinned in package.json; installed by
// scripts/setup) and prints what memlab found, as one JSON object:
//   {"nodes": N, "edges": M, "by_name": {NAME: {"count": c, "self_size": s}}}
// An independent reader: if RunaTime's writer and this parser disagree on
// the format, the counts disagree or the parse fails (exit status 1).
//   node read.js FILE.heapsnapshot
'use strict';
const {utils} = require('@memlab/core');

async function main(file) {
  const heap = await utils.getSnapshotFromFile(file, {buildNodeIdIndex: true});
  const byName = {};
  let nodes = 0;
  heap.nodes.forEach(node => {
    nodes++;
    const entry = (byName[node.name] ||= {count: 0, self_size: 0});
    entry.count++;
    entry.self_size += node.self_size;
  });
  return {nodes, edges: heap.edges.length, by_name: byName};
}

if (process.argv.length !== 3) {
  console.error('usage: node read.js FILE.heapsnapshot');
  process.exit(2);
}
main(process.argv[2]).then(
  result => process.stdout.write(JSON.stringify(result) + '\n'),
  error => {
    console.error(`read.js: memlab could not read ${process.argv[2]}: ${error && error.stack || error}`);
    process.exit(1);
  });
