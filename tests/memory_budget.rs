//! Memory budget of a built room, counted exactly: a `#[global_allocator]` that tracks the live
//! bytes of this test binary. Unlike the benchmark's times, this is deterministic, so it can gate
//! CI. The wasm target is 150 B per member (bench/README.md, "live after build"); native 64-bit
//! pointers, lengths and capacities make the same data about 1.5× larger, hence 200 B here.
//!
//! One test in this file on purpose: the counter is process-wide, and a second test running on
//! another thread would allocate into the measurement.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicUsize, Ordering::Relaxed},
};

mod common;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only the byte count is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size, Relaxed);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const MEMBERS: usize = 10_000;
/// Live heap bytes per member event after the build (native; wasm32's target is 150).
const BUDGET: usize = 200;

#[test]
fn room_of_10000_members_fits_the_budget() {
    // The benchmark's mix (bench/gen.mjs): 1 % knocking, 0.5 % banned, 1 % invited, 5 % left,
    // the rest joined; user IDs of a typical length (25 bytes).
    let mut setup = common::setup("10");
    let others = (0..MEMBERS - setup.members.len()).map(|i| {
        let user = format!("@member{i:06}:example.org");
        let (membership, sender) = match i % 200 {
            0 | 1 => ("knock", user.as_str()),
            2 => ("ban", "@mod:hs1"),
            3 | 4 => ("invite", "@mod:hs1"),
            5..=14 => ("leave", user.as_str()),
            _ => ("join", user.as_str()),
        };
        (user.clone(), membership.to_owned(), sender.to_owned())
    });
    setup.members.extend(others);

    let before = LIVE.load(Relaxed);
    let room = setup.build();
    let live = LIVE.load(Relaxed).saturating_sub(before);

    assert_eq!(room.member_count(), MEMBERS);
    let per_member = live / MEMBERS;
    println!("{MEMBERS} members: {live} live bytes after the build, {per_member} B per member");
    // At least the user IDs themselves: a counter that saw nothing must not pass.
    assert!(
        per_member >= 25,
        "allocator not counting? {per_member} B per member"
    );
    assert!(
        per_member <= BUDGET,
        "{per_member} B per member over the {BUDGET} B budget ({live} bytes for {MEMBERS} members)"
    );
}
