//! JavaScript bindings: thin wrappers over [`crate::core`], one file per class or concern.

mod error;
mod http;
mod input;
mod requests;
mod room;
mod session;
mod types;

use wasm_bindgen::prelude::*;

/// Installs the panic hook when the module is instantiated, so a bug shows a message in the
/// console instead of a bare `unreachable` trap.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}
