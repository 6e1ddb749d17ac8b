// Small DOM helpers shared by the built-in and live modes. No framework: text is always set
// with textContent (reasons and names come from other users), never innerHTML.

/** h("li", { class: "x", dataset: { a: 1 }, onclick: f }, "text", child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = String(v);
    } else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let counter = 0;
/** A fresh element ID. */
export const uid = (prefix) => `${prefix}-${++counter}`;

/** Says `text` through the page's aria-live region (polite). */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A new text node in a later frame, so the same sentence twice is read twice.
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}

/** A power level for people: Infinity is a v12 creator. */
export const level = (n) => (n === Infinity ? "∞ (creator)" : n === undefined ? "—" : String(n));

/** Button labels for each action. */
export const ACTION_LABELS = {
  accept: "Accept",
  decline: "Decline",
  ban: "Decline & ban",
  unban: "Unban",
  knock: "Knock",
  rescind: "Rescind knock",
  join: "Join",
  leave: "Leave",
  invite: "Invite",
  kick: "Kick",
};

/**
 * One action with its Decision: a real button (disabled when not allowed, the reason in the
 * tooltip) and the plain explanation, code, rule and compared levels in text, linked to the
 * button by aria-describedby.
 *
 * `who` = { actor, target } (user IDs), `context` = the CheckContext the decision was asked
 * with (shown in data-context, for developers and tests), `onActivate(button)` = the click,
 * `busy` = a request for this target is in flight (`"sending"`: this very action).
 *
 * @param {import("../pkg/matrix_knock.js").Decision} decision
 * @param {{ label?: string, actor: string, target: string, context?: object,
 *           onActivate?: (button: HTMLButtonElement) => void, busy?: boolean | "sending" }} options
 */
export function decisionItem(decision, { label, actor, target, context, onActivate, busy = false }) {
  const explId = uid("why");
  const allowed = decision.allowed;
  const levels = [];
  if (decision.actorLevel !== undefined) levels.push(`actor ${level(decision.actorLevel)}`);
  if (decision.targetLevel !== undefined) levels.push(`target ${level(decision.targetLevel)}`);
  if (decision.requiredLevel !== undefined) levels.push(`needs ${level(decision.requiredLevel)}`);
  const button = h(
    "button",
    {
      type: "button",
      class: allowed ? "act" : "act denied",
      disabled: !allowed,
      // While its request is in flight the button keeps the focus but does nothing.
      "aria-disabled": busy && allowed ? "true" : undefined,
      "aria-busy": busy ? "true" : undefined,
      "aria-describedby": explId,
      title: decision.message,
      dataset: { action: decision.action },
    },
    busy === "sending" ? "Sending…" : label ?? ACTION_LABELS[decision.action] ?? decision.action,
  );
  if (onActivate && !busy) button.addEventListener("click", () => onActivate(button));
  return h(
    "li",
    {
      class: `decision ${allowed ? "is-allowed" : "is-denied"}`,
      dataset: {
        action: decision.action,
        actor,
        target,
        code: decision.code,
        allowed: String(allowed),
        context: context === undefined ? undefined : JSON.stringify(context),
      },
    },
    button,
    h(
      "div",
      { class: "why", id: explId },
      h("span", { class: "verdict" }, allowed ? (decision.code === "DUPLICATE" ? "✓ Allowed (no change)" : "✓ Allowed") : "✗ Denied"),
      " ",
      h("code", { class: "code" }, decision.code),
      " ",
      h("span", { class: "rule" }, "rule ", h("span", { class: "rule-id" }, decision.rule)),
      h("span", { class: "message" }, decision.message),
      levels.length ? h("span", { class: "levels" }, `Levels compared: ${levels.join(", ")}`) : null,
    ),
  );
}

/**
 * Anything thrown by the module or fetch as { title, detail } for people.
 * MatrixError (HttpClient.send / sync), ActionRefusedError (request builders),
 * MatrixKnockError (bad input), and network failures.
 */
export function describeError(error) {
  if (error && (error.name === "MatrixError" || error.meaning)) {
    const retry = error.retryAfterMs ? ` Retry after ${Math.ceil(error.retryAfterMs / 1000)} s.` : "";
    return {
      title: `${error.meaning}: ${error.description}${retry}`,
      detail: `The server answered HTTP ${error.status} ${error.errcode}${error.error ? `: “${error.error}”` : ""}`,
      meaning: error.meaning,
    };
  }
  if (error && error.name === "ActionRefusedError") {
    const d = error.decision ?? {};
    return {
      title: `Not sent, the server would refuse it (${error.code}): ${d.message ?? error.message}`,
      detail: d.rule ? `Rule ${d.rule}` : "",
      meaning: error.code,
    };
  }
  if (error && error.name === "MatrixKnockError") {
    return { title: `${error.code}: ${error.message}`, detail: "", meaning: error.code };
  }
  if (error instanceof TypeError && /fetch|network|load failed/i.test(String(error.message))) {
    return {
      title: "Could not reach the homeserver.",
      detail: "Check the URL, that the server is running, and that it allows requests from this page (CORS).",
      meaning: "NETWORK",
    };
  }
  return { title: String(error?.message ?? error), detail: "", meaning: "UNKNOWN" };
}

/** Shows an error in a role=alert box (or hides the box for null). */
export function showError(box, error, prefix = "") {
  if (!error) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const { title, detail, meaning } = describeError(error);
  box.dataset.meaning = meaning;
  box.replaceChildren(
    h("p", { class: "error-title" }, prefix, title),
    detail ? h("p", { class: "error-detail" }, detail) : null,
  );
  box.hidden = false;
}

/** "3 min ago" for a millisecond age. */
export function ago(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return "";
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const s = Math.round(ms / 1000);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return rtf.format(-m, "minute");
  const hours = Math.round(m / 60);
  if (hours < 36) return rtf.format(-hours, "hour");
  return rtf.format(-Math.round(hours / 24), "day");
}

/**
 * Runs `rerender` and puts the keyboard focus back on the equivalent element when the one that
 * had it was replaced: same [data-room-id], [data-user] and data-action / data-room-reason.
 * A sync that re-renders the page must not throw a keyboard user back to the top.
 */
export function keepFocus(container, rerender) {
  const active = document.activeElement;
  const inside = active && active !== document.body && container.contains(active);
  const key = inside ? focusKey(active) : null;
  const caret = inside && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
  const heading = inside ? active.closest("section.card")?.querySelector("h3") : null;
  rerender();
  if (!key || (active.isConnected && container.contains(active))) return;
  const candidates = container.querySelectorAll("button, input, select, textarea, a[href], [tabindex]");
  const match = [...candidates].find((el) => focusKey(el) === key);
  if (match && !match.disabled) {
    match.focus();
    if (caret && typeof match.setSelectionRange === "function") match.setSelectionRange(...caret);
  } else if (heading?.isConnected) {
    // The element is gone (e.g. the request was decided): its section's heading.
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

function focusKey(el) {
  return [
    el.closest("[data-room-id]")?.dataset.roomId ?? "",
    el.closest("[data-user]")?.dataset.user ?? "",
    el.dataset.action ?? "",
    el.dataset.roomReason ?? "",
    el.id && !/^why-/.test(el.id) ? el.id : "",
    el.tagName,
  ].join("|");
}
