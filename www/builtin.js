// Built-in mode: an embedded sample room, decided by Room from the wasm module.
//
// The page keeps the room's state events (`events()`), builds a Room from them with
// Room.fromStateEvents whenever the set-up changes, and on a click applies the member event the
// homeserver would produce with room.applyEvent. Every decision shown is asked of the module.
import { announce, decisionItem, h, level } from "./ui.js";

const ALLOWED_ROOM = "!members:example.org";

/** The cast. `viewer`: selectable as "you". */
export const PEOPLE = {
  kay: { id: "@kay:example.org", name: "Kay", about: "wants to join", viewer: true },
  mo: { id: "@mo:example.org", name: "Mo", about: "moderator", viewer: true },
  ada: { id: "@ada:example.org", name: "Ada", about: "admin", viewer: true },
  cy: { id: "@cy:example.org", name: "Cy", about: "created the room", viewer: true },
  bo: { id: "@bo:example.org", name: "Bo", about: "banned for spam", viewer: true },
  lee: { id: "@lee:elsewhere.org", name: "Lee", about: "former moderator, knocking to come back" },
  zed: { id: "@zed:example.org", name: "Zed", about: "co-founder (an additional creator in v12), left and knocking to come back" },
};
const byId = new Map(Object.values(PEOPLE).map((p) => [p.id, p]));
const nameOf = (id) => byId.get(id)?.name ?? id;

let tick = 0;
/** A member event as the server would send it. */
function member(stateKey, sender, content, ts) {
  tick += 1;
  return {
    type: "m.room.member",
    state_key: stateKey,
    sender,
    content,
    event_id: `$demo-${tick}`,
    origin_server_ts: ts ?? 1_767_225_600_000 + tick * 60_000,
  };
}

/** The room's members at the start. */
function initialMembers() {
  const p = PEOPLE;
  return [
    member(p.cy.id, p.cy.id, { membership: "join", displayname: "Cy" }),
    member(p.ada.id, p.ada.id, { membership: "join", displayname: "Ada" }),
    member(p.mo.id, p.mo.id, { membership: "join", displayname: "Mo" }),
    member(p.bo.id, p.ada.id, { membership: "ban", reason: "Spam links" }),
    member(p.lee.id, p.lee.id, { membership: "knock", displayname: "Lee", reason: "Back from my break. May I rejoin?" }),
    member(p.kay.id, p.kay.id, { membership: "knock", displayname: "Kay", reason: "Hi! Sam from the Tuesday group sent me." }),
    member(p.zed.id, p.zed.id, { membership: "knock", displayname: "Zed" }),
  ];
}

export function initBuiltin(mk, root) {
  const { Room } = mk;
  const $ = (sel) => root.querySelector(sel);
  const form = $("#builtin-controls");
  const errorBox = $("#builtin-error");

  /** state_key → current member event. */
  let members = new Map();
  let room = null;
  const log = [];

  function reset() {
    members = new Map(initialMembers().map((e) => [e.state_key, e]));
    log.length = 0;
    rebuild();
  }

  /** The set-up form as numbers and strings. */
  function settings() {
    const data = new FormData(form);
    const num = (name) => {
      const raw = String(data.get(name) ?? "").trim();
      return raw === "" ? undefined : Number(raw);
    };
    return {
      viewer: data.get("viewer") ?? "kay",
      version: Number(data.get("version")),
      joinRule: String(data.get("joinRule")),
      reason: String(data.get("reason") ?? "").trim(),
      inAllowedRoom: data.get("inAllowedRoom") === "on",
      pl: {
        invite: num("invite"),
        kick: num("kick"),
        ban: num("ban"),
        users_default: num("users_default"),
        mo: num("mo"),
        ada: num("ada"),
        cy: num("cy"),
        lee: num("lee"),
      },
    };
  }

  /** m.room.create, m.room.power_levels, m.room.join_rules and m.room.name for the set-up. */
  function roomEvents(s) {
    const cy = PEOPLE.cy.id;
    const create = { room_version: String(s.version) };
    if (s.version <= 10) create.creator = cy; // v11 dropped `creator`: the sender is the creator
    if (s.version >= 12) create.additional_creators = [PEOPLE.zed.id];
    const users = {};
    for (const key of ["ada", "mo", "lee"]) if (s.pl[key] !== undefined) users[PEOPLE[key].id] = s.pl[key];
    // v12 creators have infinite power and must not appear in `users`.
    if (s.version < 12 && s.pl.cy !== undefined) users[cy] = s.pl.cy;
    const pl = { users };
    for (const key of ["invite", "kick", "ban", "users_default"]) if (s.pl[key] !== undefined) pl[key] = s.pl[key];
    const joinRules = { join_rule: s.joinRule };
    if (s.joinRule === "restricted" || s.joinRule === "knock_restricted") {
      joinRules.allow = [{ type: "m.room_membership", room_id: ALLOWED_ROOM }];
    }
    const ev = (type, content) => ({ type, state_key: "", sender: cy, content, event_id: `$${type}`, origin_server_ts: 1_767_225_600_000 });
    return [
      ev("m.room.create", create),
      ev("m.room.power_levels", pl),
      ev("m.room.join_rules", joinRules),
      ev("m.room.name", { name: "Book club" }),
    ];
  }

  /** The whole state: what Room.fromStateEvents gets (and what the page shows as JSON). */
  function events() {
    return [...roomEvents(settings()), ...members.values()];
  }

  function rebuild() {
    room?.free();
    room = null;
    try {
      room = Room.fromStateEvents(events());
      errorBox.hidden = true;
    } catch (error) {
      errorBox.replaceChildren(
        h("p", { class: "error-title" }, `The module rejected this room state: ${error.code ?? error.name}`),
        h("p", { class: "error-detail" }, error.message),
      );
      errorBox.hidden = false;
    }
    render();
  }

  /** The member event the homeserver would send for `action` by `actor` on `target`. */
  function eventFor(action, actor, target, reason) {
    const content = {};
    const s = settings();
    switch (action) {
      case "accept":
      case "invite":
        content.membership = "invite";
        break;
      case "decline":
      case "kick":
      case "unban":
      case "rescind":
      case "leave":
        content.membership = "leave";
        break;
      case "ban":
        content.membership = "ban";
        break;
      case "knock":
        content.membership = "knock";
        content.displayname = nameOf(actor);
        break;
      case "join": {
        content.membership = "join";
        content.displayname = nameOf(actor);
        // A restricted join names a joined member who could have invited the user.
        if ((s.joinRule === "restricted" || s.joinRule === "knock_restricted") && room.membership(actor) !== "invite") {
          const authoriser = [PEOPLE.cy, PEOPLE.ada, PEOPLE.mo].find(
            (p) => room.membership(p.id) === "join" && room.powerLevel(p.id) >= (s.pl.invite ?? 0),
          );
          if (authoriser) content.join_authorised_via_users_server = authoriser.id;
        }
        break;
      }
      default:
        throw new Error(`no event for ${action}`);
    }
    if (reason) content.reason = reason;
    return member(target, actor, content, Date.now());
  }

  const PAST = {
    accept: "accepted {t}'s knock: {t} is invited",
    decline: "declined {t}'s knock",
    ban: "declined {t}'s knock and banned {t}",
    unban: "unbanned {t}",
    knock: "knocked",
    rescind: "rescinded the knock",
    join: "joined the room",
  };

  function apply(decision, actor, target, focusAfter) {
    if (!room || !decision.allowed) return;
    const s = settings();
    const who = nameOf(actor);
    const t = nameOf(target);
    const what = PAST[decision.action].replaceAll("{t}", t);
    if (decision.code === "DUPLICATE") {
      log.unshift({ text: `${who} ${what} again: the server would answer with the existing event, nothing changes.`, event: null });
      announce(`${who} ${what} again: identical to the current event, nothing changes.`);
      render();
      return;
    }
    const event = eventFor(decision.action, actor, target, s.reason);
    const result = room.applyEvent(event);
    if (result.applied) members.set(event.state_key, event);
    const text = `${who} ${what}. Applied m.room.member “${event.content.membership}” for ${event.state_key}.`;
    log.unshift({ text, event, result });
    if (log.length > 20) log.length = 20;
    render();
    announce(text);
    focusAfter?.();
  }

  // ---------------------------------------------------------------- rendering

  function render() {
    const s = settings();
    const viewer = PEOPLE[s.viewer];
    $("#state-json").textContent = JSON.stringify(events(), null, 2);
    $("#pl-cy").disabled = s.version >= 12;
    renderLog();
    if (!room) {
      for (const sel of ["#room-facts", "#own-actions", "#knock-queue", "#banned-list", "#members-table tbody"]) $(sel).replaceChildren();
      $("#own-summary").textContent = "";
      root.dataset.ready = "error";
      return;
    }
    renderFacts(viewer);
    renderOwn(viewer, s);
    renderQueue(viewer);
    renderBanned(viewer);
    renderMembers();
    root.dataset.ready = "true";
  }

  function renderFacts(viewer) {
    const rule = room.joinRule();
    const rows = [
      ["Room version", room.roomVersion()],
      ["Join rule", rule ?? "none usable"],
      ["Creators", room.creators().map(nameOf).join(", ")],
      ["You", `${viewer.name} (${viewer.id})`],
      ["Your membership", room.membership(viewer.id)],
      ["Your power level", level(room.powerLevel(viewer.id))],
    ];
    $("#room-facts").replaceChildren(
      ...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", { dataset: { fact: k } }, v)]),
    );
  }

  const OWN_SUMMARY = {
    knock: "You are knocking: your request waits for a moderator.",
    invite: "You are invited: your knock was accepted. Join to enter.",
    join: "You are in the room.",
    ban: "You are banned from this room.",
    leave: "You are not in the room.",
  };

  function renderOwn(viewer, s) {
    const me = viewer.id;
    const membership = room.membership(me);
    const current = members.get(me)?.content?.reason;
    $("#own-summary").textContent =
      `${OWN_SUMMARY[membership] ?? `Your membership is ${membership}.`}` +
      (membership === "knock" && current ? ` Your reason: “${current}”.` : "");
    const items = [];
    for (const action of ["knock", "rescind", "join"]) {
      const context = action === "join" ? { joinedRoomIds: s.inAllowedRoom ? [ALLOWED_ROOM] : [] } : s.reason ? { reason: s.reason } : {};
      const decision = room.check(action, me, me, context);
      items.push(
        decisionItem(decision, {
          actor: me,
          target: me,
          context,
          onActivate: () => apply(decision, me, me, () => focusSame(action, me)),
        }),
      );
    }
    $("#own-actions").replaceChildren(...items);
  }

  function renderQueue(viewer) {
    const queue = room.knockRequests();
    $("#queue-title").textContent = `Knock queue (${queue.length})`;
    if (queue.length === 0) {
      $("#knock-queue").replaceChildren(
        h("li", { class: "empty" }, "No pending knocks. Pick Kay and knock, or reset the room."),
      );
      return;
    }
    $("#knock-queue").replaceChildren(
      ...queue.map((request) => {
        const person = byId.get(request.userId);
        const actions = room.permittedActions(viewer.id, request.userId);
        return h(
          "li",
          { class: "request", dataset: { user: request.userId } },
          h(
            "div",
            { class: "request-head" },
            h("strong", null, request.displayName ?? person?.name ?? request.userId),
            " ",
            h("span", { class: "user-id" }, request.userId),
            request.userId === viewer.id ? h("span", { class: "badge you" }, "you") : null,
            h("span", { class: "badge" }, `level ${level(room.powerLevel(request.userId))}`),
          ),
          person ? h("p", { class: "about" }, person.about) : null,
          request.reason ? h("blockquote", { class: "reason" }, request.reason) : h("p", { class: "reason none" }, "No reason given."),
          h(
            "ul",
            { class: "decisions", "aria-label": `Your actions on ${person?.name ?? request.userId}` },
            ["accept", "decline", "ban"].map((action) =>
              decisionItem(actions[action], {
                actor: viewer.id,
                target: request.userId,
                onActivate: () => apply(actions[action], viewer.id, request.userId, () => focusQueue()),
              }),
            ),
          ),
        );
      }),
    );
  }

  function renderBanned(viewer) {
    const banned = [...members.values()].filter((e) => room.membership(e.state_key) === "ban").map((e) => e.state_key);
    $("#banned-title").textContent = `Banned (${banned.length})`;
    if (banned.length === 0) {
      $("#banned-list").replaceChildren(h("li", { class: "empty" }, "Nobody is banned."));
      return;
    }
    $("#banned-list").replaceChildren(
      ...banned.map((userId) => {
        const decision = room.check("unban", viewer.id, userId);
        const ev = members.get(userId);
        return h(
          "li",
          { class: "request", dataset: { user: userId } },
          h("div", { class: "request-head" }, h("strong", null, nameOf(userId)), " ", h("span", { class: "user-id" }, userId)),
          h("p", { class: "about" }, `Banned by ${nameOf(ev.sender)}${ev.content.reason ? `: “${ev.content.reason}”` : ""}`),
          h(
            "ul",
            { class: "decisions", "aria-label": `Your actions on ${nameOf(userId)}` },
            decisionItem(decision, {
              actor: viewer.id,
              target: userId,
              context: {},
              onActivate: () => apply(decision, viewer.id, userId, () => focusHeading("#banned-title")),
            }),
          ),
        );
      }),
    );
  }

  function renderMembers() {
    const rows = Object.values(PEOPLE).map((p) =>
      h(
        "tr",
        { dataset: { user: p.id } },
        h("th", { scope: "row" }, h("span", null, p.name), " ", h("span", { class: "user-id" }, p.id), h("span", { class: "about" }, p.about)),
        h("td", null, room.membership(p.id)),
        h("td", null, level(room.powerLevel(p.id))),
      ),
    );
    $("#members-table tbody").replaceChildren(...rows);
  }

  function renderLog() {
    const list = $("#event-log");
    if (log.length === 0) {
      list.replaceChildren(h("li", { class: "empty" }, "Nothing yet: click an allowed action."));
      return;
    }
    list.replaceChildren(
      ...log.map((entry) =>
        h(
          "li",
          null,
          h("span", null, entry.text),
          entry.event
            ? h("details", null, h("summary", null, "Event"), h("pre", { class: "code-block" }, JSON.stringify(entry.event, null, 2)))
            : null,
        ),
      ),
    );
  }

  // ------------------------------------------------------------ focus after a click
  // The clicked button is usually re-rendered away: keep keyboard users in place.

  function focusSame(action, target) {
    const button = root.querySelector(`#own-actions .decision[data-action="${action}"][data-target="${CSS.escape(target)}"] button`);
    if (button && !button.disabled) button.focus();
    else focusHeading("#own-title");
  }
  function focusQueue() {
    const next = root.querySelector("#knock-queue button:not([disabled])");
    if (next) next.focus();
    else focusHeading("#queue-title");
  }
  function focusHeading(sel) {
    $(sel).focus();
  }

  // ------------------------------------------------------------------ wiring

  form.addEventListener("submit", (e) => e.preventDefault());
  // Text and number fields update on "input" only: a "change" when they lose focus would
  // re-render the very button being clicked, and the click would be lost.
  form.addEventListener("change", (e) => {
    if (e.target.name === "viewer" || e.target.name === "inAllowedRoom") render();
    else if (e.target.tagName === "SELECT") rebuild();
  });
  form.addEventListener("input", (e) => {
    if (e.target.type === "number") rebuild();
    else if (e.target.name === "reason") render();
  });
  $("#builtin-reset").addEventListener("click", () => {
    reset();
    announce("The room is back to its starting state.");
  });

  reset();
  return {
    /** For tests and the console: the current state events. */
    events,
    get room() {
      return room;
    },
  };
}

