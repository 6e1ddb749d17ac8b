//! Native benchmarks of the core's hot paths, on the data the Node benchmark uses:
//! `node bench/run.mjs --write-fixtures target/bench-fixtures` (run here when the files are
//! missing; it needs pkg/ from scripts/build). `MATRIX_KNOCK_FIXTURES=DIR` reads another
//! directory. See bench/README.md.
//!
//!     cargo bench --bench core                 # everything (~2 min on 2 cores)
//!     cargo bench --bench core -- '^from_json' # one group (a regex)

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use criterion::{
    black_box, criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput,
};
use matrix_knock::core::{event::events_from_json, session::Session, Action, Context, RoomState};
use serde_json::Value;

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const SYNC: &str = "sync-5000.json";
/// The user the sync fixture is generated for.
const SYNC_USER: &str = "@me:matrix.org";

fn fixtures() -> PathBuf {
    let dir = std::env::var_os("MATRIX_KNOCK_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-fixtures"));
    if !dir.join(SYNC).exists() {
        eprintln!(
            "writing fixtures: node bench/run.mjs --write-fixtures {}",
            dir.display()
        );
        let ok = Command::new("node")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["bench/run.mjs", "--write-fixtures"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "no fixtures in {}: build pkg/ (scripts/build), then run \
                 `node bench/run.mjs --write-fixtures {0}`",
                dir.display()
            );
            std::process::exit(0);
        }
    }
    dir
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn benches(c: &mut Criterion) {
    let dir = fixtures();
    let rooms: Vec<String> = SIZES
        .iter()
        .map(|n| read(&dir, &format!("room-{n}.json")))
        .collect();

    // Building the room from the `/state` JSON text, and the event parse alone.
    let mut g = c.benchmark_group("from_json");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(6));
    for (n, text) in SIZES.iter().zip(&rooms) {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(n.to_string(), |b| {
            b.iter_with_large_drop(|| RoomState::from_json(black_box(text)).unwrap())
        });
    }
    g.finish();
    let mut g = c.benchmark_group("events_from_json");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    let (n, text) = (SIZES[2], &rooms[2]);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function(n.to_string(), |b| {
        b.iter_with_large_drop(|| events_from_json(black_box(text)).unwrap())
    });
    g.finish();

    // The largest room, then queries and updates on it.
    let room = RoomState::from_json(text).unwrap();
    let meta: Value = serde_json::from_str(&read(&dir, &format!("room-{n}.meta.json"))).unwrap();
    let moderator = meta["moderator"].as_str().unwrap();

    let events_text = read(&dir, &format!("events-{n}.json"));
    let events = events_from_json(&events_text).unwrap();
    let mut g = c.benchmark_group("apply_event");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function(n.to_string(), |b| {
        b.iter_batched(
            || room.clone(),
            |mut room| {
                for event in &events {
                    room.apply_event(event).unwrap();
                }
                room
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    c.bench_function(&format!("knock_requests/{n}"), |b| {
        b.iter(|| room.knock_requests())
    });

    let requests = room.knock_requests();
    let knocker = requests[0].user_id;
    let context = Context::default();
    for (name, action) in [
        ("accept", Action::Accept),
        ("decline", Action::Decline),
        ("ban", Action::Ban),
    ] {
        c.bench_function(&format!("check/{name}"), |b| {
            b.iter(|| {
                room.check(action, black_box(moderator), Some(knocker), &context)
                    .unwrap()
            })
        });
    }

    let sync = read(&dir, SYNC);
    let mut g = c.benchmark_group("session");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(6));
    g.throughput(Throughput::Bytes(sync.len() as u64));
    g.bench_function("ingest_sync", |b| {
        b.iter_batched(
            || Session::new(SYNC_USER).unwrap(),
            |mut session| {
                let changes = session.ingest_sync(&sync, 1_760_000_000_000).unwrap();
                (session, changes)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group! {
    name = hot_paths;
    // Shorter than criterion's 3 s + 5 s, so that the whole set takes about 2 minutes.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(hot_paths);
