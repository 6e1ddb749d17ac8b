#!/usr/bin/env node
// Where one incremental event's time goes, in a small standalone process (no benchmark heap):
// µs per event for JSON.stringify of the event, applyEvent(text) with and without a cached
// queue, with knockRequests() after each, the object path, and two point queries; medians of
// 7 rounds, each after a GC and a 200 ms pause.
//
//   node bench/split-event.mjs [PKG_DIR]     (default: pkg/)
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import * as gen from "./gen.mjs";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
const dir = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "pkg"));
const api = await import(pathToFileURL(dir + "/matrix_knock.js").href);
api.initSync({ module: new WebAssembly.Module(readFileSync(dir + "/matrix_knock_bg.wasm")) });
const st = gen.roomState(100000);
const text = st.text ?? JSON.stringify(st.events ?? st);
const texts = gen.membershipEvents(st, 2000).map((e) => JSON.stringify(e));
const events = texts.map((t) => JSON.parse(t)); // as a client holds them (see run.mjs)
const pause = new Int32Array(new SharedArrayBuffer(4));
const settle = () => { gc(); Atomics.wait(pause, 0, 0, 200); };
const med = (v) => v.slice().sort((a, b) => a - b)[v.length >> 1];
const per = (f) => { const t0 = performance.now(); f(); return (performance.now() - t0) * 1000 / events.length; };
const rows = {};
const add = (k, v) => (rows[k] ??= []).push(v);
for (let round = 0; round < 7; round++) {
  settle(); add("JSON.stringify(event)", per(() => { for (const e of events) JSON.stringify(e); }));
  let r = api.Room.fromStateJson(text);
  settle(); add("applyEvent(text), no queue cache", per(() => { for (const t of texts) r.applyEvent(t); }));
  r.free(); r = api.Room.fromStateJson(text); r.knockRequests();
  settle(); add("applyEvent(text), queue cached", per(() => { for (const t of texts) r.applyEvent(t); }));
  r.free(); r = api.Room.fromStateJson(text); r.knockRequests();
  settle(); add("applyEvent(text) + knockRequests()", per(() => { for (const t of texts) { r.applyEvent(t); r.knockRequests(); } }));
  r.free(); r = api.Room.fromStateJson(text); r.knockRequests();
  settle(); add("applyEvent(object) + knockRequests()", per(() => { for (const e of events) { r.applyEvent(e); r.knockRequests(); } }));
  settle(); add("membership(id)", per(() => { for (const e of events) r.membership(e.state_key); }));
  settle(); add("memberCount()", per(() => { for (const e of events) r.memberCount(); }));
  r.free();
}
for (const [k, v] of Object.entries(rows)) console.log(k.padEnd(40), med(v).toFixed(2), "µs");
