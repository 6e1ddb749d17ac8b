// The JS side of KnockSession's moderator queue (see session.rs and layout.rs): entries built
// from one string and an array of numbers, rather than from JSON text that JS parses again.

import { DECISION, decision } from "./decision.js";
import { REQUEST, request } from "./queue.js";

/** How many numbers an entry takes: a request, ageMs (-1 for none), seen, three decisions. */
const ENTRY = REQUEST + 2 + 3 * DECISION;

/** The `QueueEntry`s laid out in `text` and `numbers`. Keys in the order of the serialised form. */
export function queueEntriesFrom(text, numbers) {
  const entries = new Array(numbers.length / ENTRY);
  for (let i = 0; i < entries.length; i++) {
    let k = i * ENTRY;
    const entry = request(text, numbers, k);
    k += REQUEST;
    if (numbers[k] >= 0) entry.ageMs = numbers[k];
    entry.seen = numbers[k + 1] === 1;
    k += 2;
    entry.accept = decision(text, numbers, k);
    entry.decline = decision(text, numbers, k + DECISION);
    entry.ban = decision(text, numbers, k + 2 * DECISION);
    entries[i] = entry;
  }
  return entries;
}
