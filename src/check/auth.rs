//! Auth: the OIDC issuer is https, grants name known roles, and grants have an OIDC issuer.

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::Lab;
use crate::vocabulary::{did_you_mean, BUILTIN_ROLES};

pub fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let Some(auth) = &lab.auth else { return };
    if let Some(oidc) = &auth.oidc {
        if !oidc.issuer.value.starts_with("https://") {
            out.push(
                Diagnostic::new(
                    Code::IssuerNotHttps,
                    oidc.issuer.span,
                    format!("the OIDC issuer {} is not https", oidc.issuer.value),
                    "issuer",
                )
                .with_help("the API server only accepts https:// issuers"),
            );
        }
    }
    let declared: Vec<&str> = auth.roles.iter().map(|r| r.name.value.as_str()).collect();
    for grant in &auth.grants {
        let role = grant.role.value.as_str();
        if !BUILTIN_ROLES.contains(&role) && !declared.contains(&role) {
            let known = BUILTIN_ROLES.iter().copied().chain(declared.iter().copied());
            let help = match did_you_mean(role, known.clone()) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => format!(
                    "use one of {}, or declare it: role \"{role}\" {{ rule … }}",
                    known.collect::<Vec<_>>().join(", ")
                ),
            };
            out.push(
                Diagnostic::new(
                    Code::UnknownRole,
                    grant.role.span,
                    format!("no role named \"{role}\""),
                    "unknown role",
                )
                .with_help(help),
            );
        }
        if auth.oidc.is_none() {
            out.push(
                Diagnostic::new(
                    Code::GrantNeedsOidc,
                    grant.span,
                    "grants bind OIDC users and groups, but `auth` has no `oidc`",
                    "grant",
                )
                .with_help("add oidc issuer=\"https://…\" client-id=\"…\" inside auth"),
            );
        }
    }
}
