// V8's side of bench/runa_snapshot.cpp: the same tree (objects with two
// children and a payload), as many bytes of garbage, then one heap
// snapshot with v8.writeHeapSnapshot(FILE). Run with --max-old-space-size
// equal to runa_snapshot's max_heap (scripts/bench-heap-observers does).
//   node snapshot.js DEPTH FILE
'use strict';
const v8 = require('v8');
const fs = require('fs');

function tree(depth) {
  if (depth <= 1) return {l: null, r: null, v: 1};
  return {l: tree(depth - 1), r: tree(depth - 1), v: depth};
}

const depth = Number(process.argv[2]);
const file = process.argv[3];
const root = tree(depth);
let junk = null;
for (let i = 0; i < 2 ** depth; i++) junk = {l: null, r: null, v: i};
const peak = () => process.resourceUsage().maxRSS / 1024;
const used = process.memoryUsage().heapUsed / 2 ** 20;
const before = peak();
const start = process.hrtime.bigint();
v8.writeHeapSnapshot(file);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const size = fs.statSync(file).size / 2 ** 20;
console.log(`heap used ${used.toFixed(0)} MiB; snapshot ${seconds.toFixed(2)} s, ` +
            `${size.toFixed(0)} MiB file; peak RSS ${before.toFixed(0)} -> ${peak().toFixed(0)} MiB` +
            (root.v + (junk ? 0 : 1) > 0 ? '' : ''));
