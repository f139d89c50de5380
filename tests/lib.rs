//! All integration tests, compiled as one binary (`autotests = false`), as in casey/just.

mod cli;
mod diagnostics;
mod formatting;
mod robustness;
mod schema;
mod support;
mod tidy;
mod valid;
