#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, and per
// group (wasm crate / module, JS glue, GC, JSON.parse …). With a named build of the package
// (bench/build-variants → bench/.out/pkg-named) the wasm functions carry their Rust names.
//
//   node bench/profile-summary.mjs PROFILE.cpuprofile [--top 40] [--filter REGEX]
//
//   --filter REGEX   only samples whose stack contains a frame matching REGEX (e.g.
//                    'fromStateJson|from_state_json' to look at one export); the totals are
//                    then of those samples
//
// Typical use:
//   bench/build-variants
//   node --cpu-prof --cpu-prof-dir=bench/profiles bench/run.mjs --pkg bench/.out/pkg-named \
//        --sizes 100000 --runs 1 --only ingest --no-sdk
//   node bench/profile-summary.mjs bench/profiles/*.cpuprofile --filter fromStateJson

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "40" }, filter: { type: "string" } },
});
if (!positionals.length) {
  console.error("usage: node bench/profile-summary.mjs PROFILE.cpuprofile [--top N] [--filter REGEX]");
  process.exit(2);
}

for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const filter = values.filter ? new RegExp(values.filter) : null;
  const stackMatches = new Map();
  const matches = (id) => {
    if (!filter) return true;
    if (stackMatches.has(id)) return stackMatches.get(id);
    const n = byId.get(id);
    const ok = filter.test(n.callFrame.functionName) || (parent.has(id) && matches(parent.get(id)));
    stackMatches.set(id, ok);
    return ok;
  };
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  const label = (n) => {
    const name = n.callFrame.functionName || "(anonymous)";
    const url = n.callFrame.url.split("/").pop();
    return url ? `${name}  [${url}:${n.callFrame.lineNumber + 1}]` : name;
  };
  const deltas = p.timeDeltas;
  p.samples.forEach((id, i) => {
    const dt = deltas[i + 1] ?? 0; // a sample's time is the gap to the next one
    if (!matches(id)) return;
    const n = byId.get(id);
    const key = label(n);
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
    // Inclusive: every distinct function on the stack, once per sample.
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const k = label(byId.get(at));
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  const group = (key) => {
    if (/^\(garbage collector\)/.test(key)) return "GC";
    if (/^\((idle|program|root)\)/.test(key)) return key.replace(/\s.*/, "");
    if (/\.wasm|wasm-function|^\$?[a-z_]+::|^<|shim/.test(key) && !/\.m?js:/.test(key)) {
      const m = key.replace(/\[[0-9a-f]{16}\]/g, "").match(/^[<&\s]*(?:mut )?([A-Za-z_][A-Za-z0-9_]*)(?:::([a-z_]+))?(?:::([a-z_]+))?/);
      if (!m) return "wasm (other)";
      if (m[1] === "matrix_knock") return `wasm ${m[1]}::${m[2] ?? ""}::${m[3] ?? ""}`;
      if (["core", "alloc", "std"].includes(m[1])) return `wasm ${m[1]}::${m[2] ?? ""}`;
      return `wasm ${m[1]}`;
    }
    if (/matrix_knock\.js/.test(key)) return "JS glue (matrix_knock.js)";
    if (/matrix-js-sdk/.test(key)) return "matrix-js-sdk";
    if (/run\.mjs|gen\.mjs/.test(key)) return "benchmark harness";
    return "JS/builtins: " + key.replace(/\s+\[.*$/, "");
  };
  const groups = new Map();
  for (const [k, v] of self) groups.set(group(k), (groups.get(group(k)) ?? 0) + v);
  const show = (map, n) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
      .map(([k, v]) => `${(v / 1000).toFixed(1).padStart(9)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join("\n");
  console.log(`# ${file}${filter ? `  (stacks matching /${values.filter}/)` : ""}: ${(total / 1000).toFixed(0)} ms sampled\n`);
  console.log("## by group\n" + show(groups, 30) + "\n");
  console.log("## by function (self time)\n" + show(self, Number(values.top)) + "\n");
  const wasmOnly = new Map([...inclusive].filter(([k]) => !/^\((root|program|idle)\)/.test(k)));
  console.log("## by function (inclusive: time with it on the stack)\n" + show(wasmOnly, Number(values.top)) + "\n");
}
