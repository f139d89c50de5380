//! Stage 1: KDL text → `KdlDocument` with spans, or syntax diagnostics pointing into the source.

use kdl::KdlDocument;

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Source;

/// Parses the source as KDL v2; every syntax error becomes an `hlc::kdl::syntax` diagnostic.
pub fn parse(source: &Source) -> Result<KdlDocument, Vec<Diagnostic>> {
    KdlDocument::parse_v2(&source.text).map_err(|error| {
        error
            .diagnostics
            .into_iter()
            .map(|kdl| {
                let message = kdl.message.unwrap_or_else(|| "invalid KDL".to_string());
                let label = kdl.label.unwrap_or_else(|| "here".to_string());
                let help = kdl.help.unwrap_or_else(|| {
                    "homelab.kdl is KDL v2: strings in \"quotes\", booleans #true/#false, `//` comments".to_string()
                });
                Diagnostic::new(Code::KdlSyntax, kdl.span, message, label).with_help(help)
            })
            .collect()
    })
}
