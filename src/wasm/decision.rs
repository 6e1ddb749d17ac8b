//! [`Decision`]s as JS objects, built in `decision.js` from one string and a few numbers
//! (one call, no JSON text for JS to parse again).

use wasm_bindgen::prelude::*;

use super::types::{level_number, utf16_units};
use crate::core::Decision;

/// A decision as a JS `Decision`.
pub fn decision_to_js(decision: &Decision) -> JsValue {
    let layout = Layout::of([decision]);
    decision_from(&layout.text, &layout.numbers)
}

/// Accept, decline, ban and unban as a JS `PermittedActions`.
pub fn permitted_to_js(decisions: [&Decision; 4]) -> JsValue {
    let layout = Layout::of(decisions);
    permitted_from(&layout.text, &layout.numbers)
}

/// Decisions laid out as `decision.js` reads them: their strings in one text, and per
/// decision `allowed`, where each of its four strings ends (UTF-16 offsets) and its levels
/// (NaN for none).
#[derive(Default)]
struct Layout {
    text: String,
    numbers: Vec<f64>,
    end: f64,
}

impl Layout {
    fn of<'a>(decisions: impl IntoIterator<Item = &'a Decision>) -> Self {
        let mut layout = Self::default();
        for d in decisions {
            layout.numbers.push(f64::from(u8::from(d.allowed)));
            for part in [d.action.as_str(), d.code.as_str(), &d.message, &d.rule] {
                layout.text.push_str(part);
                layout.end += utf16_units(part);
                layout.numbers.push(layout.end);
            }
            let level = |l: &Option<_>| l.as_ref().map_or(f64::NAN, level_number);
            layout.numbers.extend([
                level(&d.actor_level),
                level(&d.target_level),
                d.required_level.map_or(f64::NAN, |l| i64::from(l) as f64),
            ]);
        }
        layout
    }
}

#[wasm_bindgen(module = "/src/wasm/decision.js")]
extern "C" {
    #[wasm_bindgen(js_name = decisionFrom)]
    fn decision_from(text: &str, numbers: &[f64]) -> JsValue;

    #[wasm_bindgen(js_name = permittedFrom)]
    fn permitted_from(text: &str, numbers: &[f64]) -> JsValue;
}
