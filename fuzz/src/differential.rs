//! The structured differential target's generator and oracle: those of the seeded test
//! (`tests/differential.rs`), included from `tests/support/differential_cases.rs` so that both
//! decide the same way, with the fuzzer's bytes instead of a seeded RNG so that libFuzzer steers
//! the choices. The target draws [`Variant::Extended`] cases (see the shared module's docs).

use arbitrary::Unstructured;

#[path = "../../tests/support/differential_cases.rs"]
mod cases;

pub use cases::*;

/// Choices drawn from the fuzzer's bytes; once they run out every choice is the first option.
pub struct Bytes<'a, 'b>(pub &'b mut Unstructured<'a>);

impl Choose for Bytes<'_, '_> {
    fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        self.0.int_in_range(0..=n - 1).unwrap_or(0)
    }
}

/// The target's case: any room version, the extended distribution.
pub fn generate_from(u: &mut Unstructured) -> Case {
    generate(&mut Bytes(u), Variant::Extended, 1..=12)
}
