//! matrix-knock: Matrix knocking (MSC2403) for clients, exactly as a homeserver decides it.
//!
//! [`core`] holds all logic in plain Rust; `wasm` is the thin JavaScript binding layer.
#![warn(missing_docs)]

pub mod core;
mod wasm;
