//! Stage 3: semantic checks on the typed model. Every rule runs; all findings are returned together.

mod access;
mod addons;
mod addresses;
mod auth;
pub mod customisation;
mod names;
mod shape;
mod storage;

use crate::diagnostic::Diagnostic;
use crate::model::Lab;

/// Runs every rule over `lab`.
pub fn check(lab: &Lab) -> Vec<Diagnostic> {
    let rules: &[fn(&Lab, &mut Vec<Diagnostic>)] = &[
        names::check,
        addresses::check,
        shape::check,
        addons::check,
        storage::check,
        auth::check,
        access::check,
        customisation::check,
    ];
    let mut diagnostics = Vec::new();
    for rule in rules {
        rule(lab, &mut diagnostics);
    }
    diagnostics
}
