//! Randomized differential test of our `m.room.member` auth rules ([`RoomState::authorize`])
//! against the oracle `ruma-state-res` 0.18.0 (`check_state_dependent_auth_rules`).
//!
//! Each case is a random room (version 1–12, create event, join rules, power levels, member
//! events for a pool of users) and one incoming `m.room.member` event. Both sides see the same
//! state: ours as the JSON text of client-format state events, ruma's as [`cases::Pdu`]s built
//! from the same JSON values. The verdicts (`decision.allowed` vs `Ok`/`Err`) must agree. The
//! generator and the oracle are in `tests/support/differential_cases.rs`, shared with the fuzz
//! target `authorize_differential` (which draws a wider [`cases::Variant`]).
//!
//! Environment: `DIFF_SEED` (default below) and `DIFF_CASES` (default 100 000); `DIFF_CASE=n`
//! replays case `n` alone (every case has its own RNG stream derived from seed and number).
//! Run it in release: `cargo test --release --test differential -- --nocapture` also prints the
//! outcome counts.
//!
//! What is deliberately NOT generated, because our client-side core does not model it (or
//! models it differently on purpose):
//! * The "only previous event is the create event" first-join rule (spec §2.1 step 1). Ruma
//!   decides it from the event's `prev_events`, we from "the state holds only the create
//!   event". Every generated state holds at least the join rules or one member event, and the
//!   incoming event's `prev_events` never name the create event, so the rule never fires.
//! * Signatures. The `join_authorised_via_users_server` signature check (spec §2.0, v8+) is not
//!   done by `check_state_dependent_auth_rules`: its docs say it assumes
//!   `ruma_signatures::verify_event()` already passed, and `room_member.rs` only leaves a comment
//!   where the rule is. Our `authorize` likewise takes the authorising user as given (signed).
//!   So joins carry the key (naming a pool user) and both sides treat it as validly signed.
//! * Third-party invites (signatures over `signed`, not modelled by us).
//! * Floats in power levels: legal and truncated in v1–5 (spec §1 notes,
//!   `v1-floaty-power-levels`), but ruma rejects them (`deserialize_v1_powerlevel` has no float
//!   visitor). The main loop generates none; [`float_power_levels_truncate_in_v1_to_v5`] checks
//!   OUR truncation against integer-valued twins and documents ruma's rejection.
//! * State a homeserver could never have accepted: invalid power levels (our core refuses the
//!   whole state as input error, ruma errors only when it reads the bad field), a missing
//!   `creator` in v1–10 or a non-boolean `m.federate` (we fall back to the sender / to
//!   federating, ruma rejects every membership event), creators listed in v12 `users`.
//!   Only the join rules are generated malformed too (no `join_rule`, a non-string, a bad
//!   `allow`), because a join rules event's content is not checked by the auth rules.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/differential_cases.rs"]
mod cases;
#[path = "support/rng.rs"]
mod rng;

use std::collections::BTreeMap;

use cases::{generate, ours, Case, Choose, Oracle, Variant, MEMBERSHIPS};
use matrix_knock::core::{Decision, RoomState};
use rng::Rng;
use serde_json::{json, Value};

const DEFAULT_SEED: u64 = 0x6b6e_6f63_6b21_2026;
const DEFAULT_CASES: u64 = 100_000;

// ---------------------------------------------------------------------------------------------
// A tiny seeded RNG (splitmix64), so cases replay exactly without extra dependencies.

impl Rng {
    fn for_case(seed: u64, case: u64) -> Self {
        let mut rng = Rng(seed ^ case.wrapping_mul(0xd1b5_4a32_d192_ed03));
        rng.next();
        rng
    }
}

impl Choose for Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Our verdict on the case's incoming event, on the room read from the JSON text `text`.
fn ours_on(case: &Case, text: &str) -> Result<Decision, String> {
    let room = RoomState::from_json(text).map_err(|e| format!("from_json: {e}"))?;
    Ok(ours(case, &room))
}

/// ruma's verdict on the case's incoming event, on `state` as the homeserver reads it.
fn oracle(case: &Case, state: &[Value]) -> Result<(), String> {
    Oracle::new(case, state).check_case(case)
}

// ---------------------------------------------------------------------------------------------

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|e| panic!("{name}={text:?}: {e}")))
}

#[test]
fn differential_against_ruma_state_res() {
    let seed = env_u64("DIFF_SEED").unwrap_or(DEFAULT_SEED);
    let cases = env_u64("DIFF_CASES").unwrap_or(DEFAULT_CASES);
    let only = env_u64("DIFF_CASE");
    let started = std::time::Instant::now();

    let mut classes: BTreeMap<(&str, bool), u64> = BTreeMap::new();
    let mut by_rule: BTreeMap<(String, &str), u64> = BTreeMap::new();
    let mut disagreements = vec![];
    let range = match only {
        Some(n) => n..n + 1,
        None => 0..cases,
    };
    for n in range.clone() {
        let mut rng = Rng::for_case(seed, n);
        let case = generate(&mut rng, Variant::Seeded, 1..=12);
        let text = serde_json::to_string(&case.state).unwrap();
        let ours = match ours_on(&case, &text) {
            Ok(decision) => decision,
            Err(e) => panic!(
                "seed {seed:#x} case {n}: our core refused the state: {e}\n{}",
                serde_json::to_string_pretty(&case.to_json(seed, n)).unwrap()
            ),
        };
        let theirs = oracle(&case, &case.state);
        *classes.entry((case.membership, ours.allowed)).or_default() += 1;
        *by_rule
            .entry((ours.rule.clone(), ours.code.as_str()))
            .or_default() += 1;
        if only.is_some() {
            eprintln!(
                "{}\nours: allowed={} code={} rule={} ({})\nruma: {theirs:?}",
                serde_json::to_string_pretty(&case.to_json(seed, n)).unwrap(),
                ours.allowed,
                ours.code.as_str(),
                ours.rule,
                ours.message,
            );
        }
        if ours.allowed != theirs.is_ok() {
            disagreements.push((n, case, ours, theirs));
        }
    }
    let elapsed = started.elapsed();

    eprintln!(
        "differential: seed {seed:#x}, {} cases in {elapsed:.2?}",
        range.end - range.start
    );
    eprintln!("  outcome classes (incoming membership, allowed by both):");
    for ((membership, allowed), count) in &classes {
        let verdict = if *allowed { "allowed" } else { "denied" };
        eprintln!("    {membership:7} {verdict:8} {count:7}");
    }
    eprintln!("  deciding rule (ours):");
    for ((rule, code), count) in &by_rule {
        eprintln!("    {rule:14} {code:30} {count:7}");
    }

    if !disagreements.is_empty() {
        for (n, case, ours, theirs) in disagreements.iter().take(10) {
            eprintln!(
                "\nDISAGREEMENT seed {seed:#x} case {n} (replay: DIFF_SEED={seed:#x} DIFF_CASE={n})\n\
                 ours: allowed={} code={} rule={} ({})\nruma: {theirs:?}\n{}",
                ours.allowed,
                ours.code.as_str(),
                ours.rule,
                ours.message,
                serde_json::to_string_pretty(&case.to_json(seed, *n)).unwrap(),
            );
        }
        panic!(
            "{} of {} cases disagree with ruma-state-res (seed {seed:#x}); first ten printed above",
            disagreements.len(),
            range.end - range.start
        );
    }

    // The test must not degrade into trivial cases: every membership is allowed and denied
    // many times.
    if only.is_none() {
        let minimum = cases / 200;
        for membership in MEMBERSHIPS {
            for allowed in [true, false] {
                let count = classes.get(&(membership, allowed)).copied().unwrap_or(0);
                assert!(
                    count >= minimum,
                    "only {count} cases of {membership} allowed={allowed} (want ≥ {minimum})"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Floats (v1–5): not compared with ruma, see the module docs.

/// A float literal that truncates to `n`: `49.9`, `49.0`, `499e-1`, `4.99e1`, `-0.5`, …
fn float_text(rng: &mut Rng, n: i64) -> String {
    let d = 1 + rng.below(9);
    let sign = if n < 0 || (n == 0 && rng.chance(50)) {
        "-"
    } else {
        ""
    };
    let digits = n.unsigned_abs().to_string();
    match rng.below(4) {
        0 => format!("{sign}{digits}.{d}"),
        1 => format!("{sign}{digits}.0"),
        2 if n == 0 => format!("{sign}{d}e-1"),
        2 => format!("{sign}{digits}{d}e-1"),
        _ if n == 0 => format!("{sign}0.{d}e0"),
        _ => format!(
            "{sign}{}.{}{d}e{}",
            &digits[..1],
            &digits[1..],
            digits.len() - 1
        ),
    }
}

/// Spec §1 (notes, fragment `v1-floaty-power-levels`): in room versions 1–5 a power level may be
/// a float, truncated towards zero after expanding the exponent. ruma-state-res 0.18.0 rejects
/// floats in every version (`deserialize_v1_powerlevel` accepts integers and integer strings
/// only): a documented spec-vs-ruma difference. So this test checks OUR truncation: a room whose
/// power levels hold floats must decide exactly like its twin holding the truncated integers
/// (and the twin is checked against ruma). Where ruma's verdict on the float room differs, its
/// error must be the power-levels format error and nothing else.
#[test]
fn float_power_levels_truncate_in_v1_to_v5() {
    let seed = env_u64("DIFF_SEED").unwrap_or(DEFAULT_SEED) ^ 0xf10a_7f10_a7f1_0a7f;
    let cases = (env_u64("DIFF_CASES").unwrap_or(DEFAULT_CASES) / 20).max(500);
    let (mut compared, mut ruma_rejects_float) = (0u64, 0u64);
    for n in 0..cases {
        let mut rng = Rng::for_case(seed, n);
        let case = generate(&mut rng, Variant::Seeded, 1..=5);
        let Some(pl_index) = case
            .state
            .iter()
            .position(|e| e["type"] == "m.room.power_levels")
        else {
            continue;
        };
        // Replace integer levels by placeholders, then by float literals in the JSON text.
        let mut floaty = case.state.clone();
        let mut literals = vec![];
        let mut floatify = |value: &mut Value, rng: &mut Rng| {
            if let Some(i) = value.as_i64() {
                if rng.chance(60) {
                    *value = json!(format!("@@float{}@@", literals.len()));
                    literals.push(float_text(rng, i));
                }
            }
        };
        let content = floaty[pl_index]["content"].as_object_mut().unwrap();
        for (_, value) in content.iter_mut() {
            match value {
                Value::Object(map) => map.values_mut().for_each(|v| floatify(v, &mut rng)),
                value => floatify(value, &mut rng),
            }
        }
        if literals.is_empty() {
            continue;
        }
        let mut float_json = serde_json::to_string(&floaty).unwrap();
        for (i, literal) in literals.iter().enumerate() {
            float_json = float_json.replace(&format!("\"@@float{i}@@\""), literal);
        }
        let int_json = serde_json::to_string(&case.state).unwrap();
        let context = || {
            format!(
                "float seed {seed:#x} case {n}\nfloat state: {float_json}\n{}",
                serde_json::to_string_pretty(&case.to_json(seed, n)).unwrap()
            )
        };
        let with_floats =
            ours_on(&case, &float_json).unwrap_or_else(|e| panic!("{e}\n{}", context()));
        let with_ints = ours_on(&case, &int_json).unwrap_or_else(|e| panic!("{e}\n{}", context()));
        assert_eq!(with_floats, with_ints, "{}", context());

        let ruma_ints = oracle(&case, &case.state);
        assert_eq!(
            with_ints.allowed,
            ruma_ints.is_ok(),
            "{ruma_ints:?}\n{}",
            context()
        );
        let float_state: Vec<Value> = serde_json::from_str(&float_json).unwrap();
        let ruma_floats = oracle(&case, &float_state);
        if ruma_floats.is_ok() != with_floats.allowed {
            let error = ruma_floats.unwrap_err();
            assert!(
                error.contains("of `m.room.power_levels` event"),
                "ruma differs for another reason than floats: {error}\n{}",
                context()
            );
            ruma_rejects_float += 1;
        }
        compared += 1;
    }
    eprintln!(
        "floats: {compared} v1–5 rooms with float levels decided like their integer twins; \
         ruma rejected the floats in {ruma_rejects_float} of them"
    );
    assert!(compared >= cases / 2, "only {compared} float cases");
    assert!(ruma_rejects_float > 0, "the float levels were never read");
}
