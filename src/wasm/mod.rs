//! JavaScript bindings: thin wrappers over [`crate::core`], one file per class or concern.

mod decision;
mod error;
mod http;
mod input;
mod layout;
mod member_event;
mod queue;
mod requests;
mod room;
mod session;
mod types;

use wasm_bindgen::prelude::*;

/// The allocator: talc rather than the default dlmalloc (smaller wasm; see README).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Installs the panic hook when the module is instantiated, so a bug shows a message in the
/// console instead of a bare `unreachable` trap.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}
