// Compiled with `tsc --noEmit`: the typings must describe the API precisely (no `any`).
import { initSync, Room } from "../../pkg/matrix_knock.js";
import type { Decision, DecisionCode, KnockRequest, PermittedActions, ApplyResult, QueueChange, StateEvent, Action, CheckContext } from "../../pkg/matrix_knock.js";

declare const bytes: Uint8Array;
initSync({ module: bytes });

const events: StateEvent[] = [
  { type: "m.room.create", state_key: "", sender: "@c:hs", content: { room_version: "10" } },
];
const room: Room = Room.fromStateEvents(events);
const same: Room = Room.fromStateJson(JSON.stringify(events));

const action: Action = "decline";
const context: CheckContext = { joinedRoomIds: ["!space:hs"], reason: "spam" };
const d: Decision = room.check(action, "@mod:hs", "@k:hs", context);
const allowed: boolean = d.allowed;
const code: DecisionCode = d.code;
const rule: string = d.rule;
const level: number | undefined = d.actorLevel;
const p: PermittedActions = room.permittedActions("@mod:hs", "@k:hs");
const accept: Decision = p.accept;
const queue: readonly KnockRequest[] = room.knockRequests();
const first: string | undefined = queue[0]?.reason;
const applied: ApplyResult = room.applyEvent({ type: "m.room.join_rules", state_key: "", sender: "@c:hs", content: { join_rule: "knock" } });
const change: QueueChange | undefined = applied.queue;
const inserted: number | undefined = change?.inserted;
const count: number = room.knockRequestCount();
const at: KnockRequest | undefined = change?.request ?? room.knockRequestAt(inserted ?? count - 1);
const membership: string = room.membership("@k:hs");
const pl: number = room.powerLevel("@k:hs");
const jr: string | undefined = room.joinRule();
const version: string = room.roomVersion();
const creators: string[] = room.creators();
room.free();
same.free();

// @ts-expect-error: unknown actions are a type error
room.check("dance", "@a:hs");
// @ts-expect-error: unknown context keys are a type error
room.check("join", "@a:hs", undefined, { joinedRooms: [] });

export { allowed, code, rule, level, accept, first, applied, at, membership, pl, jr, version, creators };
// The queue is frozen: mutating it is a type error, not a runtime surprise.
// @ts-expect-error push does not exist on a readonly array
queue.push(queue[0]);
