// The JS side of Decision objects (see decision.rs): built from one string and an array of
// numbers, rather than from JSON text that JS parses again.

// Per decision, `numbers` holds: allowed (1 or 0); where its action, code, message and rule
// end in `text` (UTF-16 offsets; each string starts where the one before it ends); then
// actorLevel, targetLevel and requiredLevel (NaN for none, Infinity for a v12 creator).
const STRIDE = 8;

/** The one Decision in `text` and `numbers`. */
export function decisionFrom(text, numbers) {
  return decision(text, numbers, 0);
}

/** `{ accept, decline, ban, unban }` from the four decisions in `text` and `numbers`. */
export function permittedFrom(text, numbers) {
  const accept = decision(text, numbers, 0);
  const decline = decision(text, numbers, 1);
  const ban = decision(text, numbers, 2);
  return { accept, decline, ban, unban: decision(text, numbers, 3) };
}

/** Decision `i`, with its keys in the order of the serialised form. */
function decision(text, numbers, i) {
  const n = i * STRIDE;
  const start = i === 0 ? 0 : numbers[n - STRIDE + 4];
  const d = {
    action: text.slice(start, numbers[n + 1]),
    allowed: numbers[n] === 1,
    code: text.slice(numbers[n + 1], numbers[n + 2]),
    message: text.slice(numbers[n + 2], numbers[n + 3]),
    rule: text.slice(numbers[n + 3], numbers[n + 4]),
  };
  if (!Number.isNaN(numbers[n + 5])) d.actorLevel = numbers[n + 5];
  if (!Number.isNaN(numbers[n + 6])) d.targetLevel = numbers[n + 6];
  if (!Number.isNaN(numbers[n + 7])) d.requiredLevel = numbers[n + 7];
  return d;
}

// One object of each shape made here, kept for the module's life, so that a garbage
// collection finding none left does not throw away the optimized code of the functions above
// (see queue.js).
const SHAPES = [];
for (let present = 0; present < 8; present++) {
  const level = (bit) => (present & (1 << bit) ? 0 : NaN);
  SHAPES.push(decisionFrom("", [0, 0, 0, 0, 0, level(0), level(1), level(2)]));
}
SHAPES.push(permittedFrom("", new Array(4 * STRIDE).fill(0)));
