//! The `hlc` binary: everything lives in the library; this only hands over the process.

/// kdl's parser allocates and frees an error value at every backtrack; mimalloc makes that cheap
/// (measured: BENCHMARKS.md / closing notes).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hlc::cli::main()
}
