#!/usr/bin/env node
// Compares two builds on the incremental task, interleaved so this VM's drift hits both alike:
// each round builds a 100 000-member room with each build, collects garbage and pauses 300 ms
// (so the rooms are cold, as in bench/run.mjs), then applies the same 2 000 member event
// objects to both, following the queue, in blocks of 100 events that alternate A and B.
// Prints each build's median µs per event and the median of the per-block ratios B/A.
// Separate runs of one build vary by up to 2× here; block ratios of identical builds came out
// at 0.99–1.01 (see ANALYSIS.md). Run it twice with A and B swapped before trusting a few per cent.
//
//   node bench/pair.mjs A_PKG_DIR B_PKG_DIR [ROUNDS=10]
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import * as gen from "./gen.mjs";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
const [dirA, dirB, roundsArg] = process.argv.slice(2);
if (!dirB) {
  console.error("usage: node bench/pair.mjs A_PKG_DIR B_PKG_DIR [ROUNDS]");
  process.exit(2);
}
const load = async (dir) => {
  const api = await import(pathToFileURL(path.resolve(dir, "matrix_knock.js")).href);
  api.initSync({ module: new WebAssembly.Module(readFileSync(path.resolve(dir, "matrix_knock_bg.wasm"))) });
  return api;
};
const [a, b] = [await load(dirA), await load(dirB)];
if (a === b) throw new Error("A and B must be different directories (one module instance each)");

const state = gen.roomState(100000);
const text = JSON.stringify(state.events);
const events = gen.membershipEvents(state, 2000).map((e) => JSON.parse(JSON.stringify(e)));
const pause = new Int32Array(new SharedArrayBuffer(4));
const BLOCK = 100;

/** µs per event for events[lo..hi) on `room`, keeping each queue change as a client does. */
function block(room, changes, lo, hi) {
  const t0 = performance.now();
  for (let i = lo; i < hi; i++) changes[i] = room.applyEvent(events[i]).queue;
  return ((performance.now() - t0) * 1000) / (hi - lo);
}

const perA = [], perB = [], ratios = [];
const rounds = Number(roundsArg ?? 10);
for (let round = 0; round < rounds; round++) {
  const [x, y] = [a.Room.fromStateJson(text), b.Room.fromStateJson(text)];
  x.knockRequests();
  y.knockRequests();
  gc();
  Atomics.wait(pause, 0, 0, 300);
  const [cx, cy] = [new Array(events.length), new Array(events.length)];
  let [sx, sy] = [0, 0];
  for (let lo = 0, k = 0; lo < events.length; lo += BLOCK, k++) {
    const hi = Math.min(lo + BLOCK, events.length);
    let p, q;
    if ((k + round) % 2) {
      p = block(x, cx, lo, hi);
      q = block(y, cy, lo, hi);
    } else {
      q = block(y, cy, lo, hi);
      p = block(x, cx, lo, hi);
    }
    sx += p;
    sy += q;
    if (round >= 2) ratios.push(q / p); // the first two rounds warm the code up
  }
  const blocks = Math.ceil(events.length / BLOCK);
  if (round >= 2) {
    perA.push(sx / blocks);
    perB.push(sy / blocks);
  }
  const [qa, qb] = [x.knockRequests(), y.knockRequests()];
  if (qa.length !== qb.length || qa.some((r, i) => r.userId !== qb[i].userId)) throw new Error("the builds' queues differ");
  x.free();
  y.free();
}
const median = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
console.log(`A ${median(perA).toFixed(2)} µs, B ${median(perB).toFixed(2)} µs per event (medians of ${perA.length} rounds); ` +
  `B/A ${median(ratios).toFixed(3)} (median of ${ratios.length} block pairs)`);
