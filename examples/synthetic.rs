//! Prints a synthetic homelab.kdl with N nodes: `cargo run --release --example synthetic -- 1000`.

fn main() {
    let nodes = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10);
    print!("{}", hlc::synthetic::lab(nodes));
}
