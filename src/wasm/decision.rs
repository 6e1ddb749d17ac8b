//! [`Decision`]s as JS objects, built in `decision.js` from a [`Layout`].

use wasm_bindgen::prelude::*;

use super::layout::Layout;
use crate::core::Decision;

/// A decision as a JS `Decision`.
pub fn decision_to_js(decision: &Decision) -> JsValue {
    let layout = Layout::decisions(&[decision]);
    decision_from(&layout.text, &layout.numbers)
}

/// Accept, decline, ban and unban as a JS `PermittedActions`.
pub fn permitted_to_js(decisions: [&Decision; 4]) -> JsValue {
    let layout = Layout::decisions(&decisions);
    permitted_from(&layout.text, &layout.numbers)
}

#[wasm_bindgen(module = "/src/wasm/decision.js")]
extern "C" {
    #[wasm_bindgen(js_name = decisionFrom)]
    fn decision_from(text: &str, numbers: &[f64]) -> JsValue;

    #[wasm_bindgen(js_name = permittedFrom)]
    fn permitted_from(text: &str, numbers: &[f64]) -> JsValue;
}
