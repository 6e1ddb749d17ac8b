// The JS side of Decision objects (see decision.rs and layout.rs): built from one string and
// an array of numbers, rather than from JSON text that JS parses again.

import { field } from "./queue.js";

/** How many numbers a decision takes (see `decision`). */
export const DECISION = 12;

/** The one Decision in `text` and `numbers`. */
export function decisionFrom(text, numbers) {
  return decision(text, numbers, 0);
}

/** `{ accept, decline, ban, unban }` from the four decisions in `text` and `numbers`. */
export function permittedFrom(text, numbers) {
  const accept = decision(text, numbers, 0);
  const decline = decision(text, numbers, DECISION);
  const ban = decision(text, numbers, 2 * DECISION);
  return { accept, decline, ban, unban: decision(text, numbers, 3 * DECISION) };
}

/**
 * The Decision whose numbers start at `k`: allowed (1 or 0), the spans of its action, code,
 * message and rule in `text`, then actorLevel, targetLevel and requiredLevel (NaN for none,
 * Infinity for a v12 creator). Keys in the order of the serialised form.
 */
export function decision(text, numbers, k) {
  const d = {
    action: field(text, numbers, k + 1),
    allowed: numbers[k] === 1,
    code: field(text, numbers, k + 3),
    message: field(text, numbers, k + 5),
    rule: field(text, numbers, k + 7),
  };
  if (!Number.isNaN(numbers[k + 9])) d.actorLevel = numbers[k + 9];
  if (!Number.isNaN(numbers[k + 10])) d.targetLevel = numbers[k + 10];
  if (!Number.isNaN(numbers[k + 11])) d.requiredLevel = numbers[k + 11];
  return d;
}

// One object of each shape made here, kept for the module's life, so that a garbage
// collection finding none left does not throw away the optimized code of the functions above
// (see queue.js).
const SHAPES = [];
for (let present = 0; present < 8; present++) {
  const level = (bit) => (present & (1 << bit) ? 0 : NaN);
  SHAPES.push(decisionFrom("", [0, 0, 0, 0, 0, 0, 0, 0, 0, level(0), level(1), level(2)]));
}
SHAPES.push(permittedFrom("", new Array(4 * DECISION).fill(0)));
