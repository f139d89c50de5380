//! The front end as one call: source text → (typed model if valid, every diagnostic, sorted).

use crate::diagnostic::Diagnostic;
use crate::model::Lab;
use crate::source::Source;

/// What the front end found: the model (only when there is no error) and all diagnostics.
pub struct Checked {
    pub lab: Option<Lab>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, lowers and checks `source`. Diagnostics come in source order.
pub fn check_source(source: &Source) -> Checked {
    check_source_against(source, None)
}

/// `check_source`, and with the previous build's lock also the day-2 checks that judge the
/// document against it (`hlc::lifecycle::*`), all in one sorted list.
pub fn check_source_against(source: &Source, previous: Option<&crate::write::lock::Lock>) -> Checked {
    let document = match crate::parse::parse(source) {
        Ok(document) => document,
        Err(diagnostics) => return Checked { lab: None, diagnostics },
    };
    let (lab, mut diagnostics) = crate::lower::lower(&document, source);
    if let Some(lab) = &lab {
        diagnostics.extend(crate::check::check(lab));
        if !diagnostics.iter().any(Diagnostic::is_error) {
            // The add-ons as the renderers describe them are only defined for a lab that passed.
            diagnostics.extend(crate::check::customisation::after_other_checks(lab));
        }
        diagnostics.extend(crate::lifecycle::checks::against_previous_build(lab, previous));
    }
    diagnostics.sort_by_key(|d| (d.primary.span.offset(), d.code, d.message.clone()));
    let lab = lab.filter(|_| !diagnostics.iter().any(Diagnostic::is_error));
    Checked { lab, diagnostics }
}
