//! hlc, the homelab compiler: homelab.kdl → checked typed model → artifact graph → output tree.
//!
//! Stages, in order: `source` → `parse` → `lower` → `check` (run together by `frontend`);
//! `cli` drives them. See ARCHITECTURE.md for the map.

pub mod check;
pub mod cli;
pub mod codes;
pub mod diagnostic;
pub mod fmt;
pub mod frontend;
pub mod init;
pub mod lower;
pub mod model;
pub mod parse;
pub mod schema;
pub mod source;
pub mod vocabulary;
