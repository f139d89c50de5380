//! Per-stage benchmarks (divan): parse, lower, check, plan, render and write, on the root example
//! (`nodes = 0`) and on synthetic labs of 100 and 1,000 nodes. `cargo bench --bench stages`.
//! Whole-process timings and the comparison with openssl, cfssl and makejinja: `bench/run.sh`.

use std::sync::OnceLock;

use hlc::clock::Clock;
use hlc::source::Source;
use hlc::state::StateDir;

fn main() {
    divan::main();
}

const SIZES: &[usize] = &[0, 100, 1000];

/// The root example for 0, else a synthetic lab of that many nodes.
fn source(nodes: usize) -> Source {
    let text = if nodes == 0 { include_str!("../homelab.kdl").to_string() } else { hlc::synthetic::lab(nodes) };
    Source::from_text("bench.kdl", text)
}

fn lab(nodes: usize) -> hlc::model::Lab {
    hlc::frontend::check_source(&source(nodes)).lab.expect("benchmark labs are valid")
}

/// A state directory already holding the PKI (a warm build), shared by all benchmarks.
fn warm_state(nodes: usize) -> &'static StateDir {
    static STATES: OnceLock<std::sync::Mutex<std::collections::BTreeMap<usize, &'static StateDir>>> = OnceLock::new();
    let mut states = STATES.get_or_init(Default::default).lock().unwrap();
    states.entry(nodes).or_insert_with(|| {
        let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
        let state = Box::leak(Box::new(StateDir::open(dir.path()).unwrap()));
        hlc::build::render_tree(&lab(nodes), &source(nodes), state, Clock::from_env()).unwrap();
        state
    })
}

#[divan::bench(args = SIZES)]
fn parse(bencher: divan::Bencher, nodes: usize) {
    let source = source(nodes);
    bencher.bench(|| hlc::parse::parse(&source).unwrap());
}

#[divan::bench(args = SIZES)]
fn lower(bencher: divan::Bencher, nodes: usize) {
    let source = source(nodes);
    let document = hlc::parse::parse(&source).unwrap();
    bencher.bench(|| hlc::lower::lower(&document, &source));
}

#[divan::bench(args = SIZES)]
fn check(bencher: divan::Bencher, nodes: usize) {
    let lab = lab(nodes);
    bencher.bench(|| hlc::check::check(&lab));
}

#[divan::bench(args = SIZES)]
fn plan(bencher: divan::Bencher, nodes: usize) {
    let lab = lab(nodes);
    bencher.bench(|| hlc::render::plan(&lab).unwrap());
}

#[divan::bench(args = SIZES)]
fn render(bencher: divan::Bencher, nodes: usize) {
    let (lab, source, state) = (lab(nodes), source(nodes), warm_state(nodes));
    bencher.bench(|| hlc::build::render_tree(&lab, &source, state, Clock::from_env()).unwrap());
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn write(bencher: divan::Bencher, nodes: usize) {
    let (tree, lock) =
        hlc::build::render_tree(&lab(nodes), &source(nodes), warm_state(nodes), Clock::from_env()).unwrap();
    bencher
        .with_inputs(|| tempfile::tempdir().unwrap())
        .bench_values(|dir| hlc::write::write_tree(&dir.path().join("out"), &tree, &lock).unwrap());
}

/// Issuing the whole PKI of the root example into an empty state (ECDSA P-256 or RSA-2048).
#[divan::bench(args = ["ecdsa-p256", "rsa-2048"], sample_count = 5)]
fn issue_pki(bencher: divan::Bencher, key_type: &str) {
    let text = include_str!("../homelab.kdl").replace("key-type \"ecdsa-p256\"", &format!("key-type \"{key_type}\""));
    let source = Source::from_text("bench.kdl", text);
    let lab = hlc::frontend::check_source(&source).lab.unwrap();
    bencher.with_inputs(|| tempfile::tempdir().unwrap()).bench_values(|dir| {
        let state = StateDir::open(dir.path()).unwrap();
        hlc::build::render_tree(&lab, &source, &state, Clock::from_env()).unwrap()
    });
}
