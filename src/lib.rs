//! hlc, the homelab compiler: homelab.kdl → checked typed model → artifact graph → output tree.
//!
//! Stages, in order: `source` → `parse` → `lower` → `check` (together: `frontend`) → `plan` →
//! `render` → `write`; `build` runs them and `cli` drives everything. See ARCHITECTURE.md for the map.

pub mod build;
pub mod check;
pub mod cli;
pub mod clock;
pub mod codes;
pub mod commands;
pub mod diagnostic;
pub mod fmt;
pub mod frontend;
pub mod identity;
pub mod init;
pub mod lifecycle;
pub mod lower;
pub mod model;
pub mod parse;
pub mod pki;
pub mod plan;
pub mod render;
pub mod report;
pub mod schema;
pub mod secret_diff;
pub mod source;
pub mod state;
pub mod state_backup;
pub mod synthetic;
pub mod vocabulary;
pub mod write;
