// Loads the built package from pkg/ the way a Node ESM user does.
import { readFileSync } from "node:fs";
import * as mk from "../../pkg/matrix_knock.js";

const wasm = mk.initSync({ module: readFileSync(new URL("../../pkg/matrix_knock_bg.wasm", import.meta.url)) });
export const { Room } = mk;
/** The module's wasm memory (to see it grow). */
export const { memory } = wasm;
export default mk;

/** A client-format state event. */
export function ev(type, stateKey, sender, content, extra = {}) {
  return { type, state_key: stateKey, sender, content, event_id: `$${type}/${stateKey}`, origin_server_ts: 1000, ...extra };
}

/** A knock room (v10 unless given) with @c creator, @mod at 50, @u at 0 and a knocker @k:hs2. */
export function knockRoom(version = "10", options = {}) {
  const pl = options.pl ?? { users: { "@c:hs1": 100, "@mod:hs1": 50 } };
  return [
    ev("m.room.create", "", "@c:hs1", { room_version: version, creator: "@c:hs1" }),
    ev("m.room.member", "@c:hs1", "@c:hs1", { membership: "join" }),
    ev("m.room.member", "@mod:hs1", "@mod:hs1", { membership: "join" }),
    ev("m.room.member", "@u:hs1", "@u:hs1", { membership: "join" }),
    ev("m.room.member", "@k:hs2", "@k:hs2", { membership: "knock", reason: "hi", displayname: "Kay", avatar_url: "mxc://hs2/a" }, { origin_server_ts: 2000 }),
    ev("m.room.power_levels", "", "@c:hs1", pl),
    ev("m.room.join_rules", "", "@c:hs1", { join_rule: "knock" }),
  ];
}
