//! Lowers `auth`, `access`, `registry` and `gitops`.

use kdl::KdlNode;

use super::read::{arg, boolean, child, children, parsed, prop, prop_text, text};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{Auth, GitOps, Grant, HostPort, Oidc, Registry, RoleDef, Rule, Subject, User};

pub const DEFAULT_OIDC_PREFIX: &str = "oidc:";

pub fn lower_auth(node: &KdlNode, diagnostics: &mut Vec<Diagnostic>) -> Auth {
    Auth {
        oidc: child(node, "oidc").and_then(lower_oidc),
        grants: children(node, "grant").filter_map(|g| lower_grant(g, diagnostics)).collect(),
        roles: children(node, "role").filter_map(lower_role).collect(),
    }
}

fn lower_oidc(node: &KdlNode) -> Option<Oidc> {
    let or = |key: &str, default: &str| prop_text(node, key).map_or_else(|| default.to_string(), |s| s.value);
    Some(Oidc {
        issuer: prop_text(node, "issuer")?,
        client_id: prop_text(node, "client-id")?.value,
        username_claim: or("username-claim", "sub"),
        groups_claim: or("groups-claim", "groups"),
        username_prefix: or("username-prefix", DEFAULT_OIDC_PREFIX),
        groups_prefix: or("groups-prefix", DEFAULT_OIDC_PREFIX),
    })
}

/// A grant names exactly one subject: `user=` or `group=`.
fn lower_grant(node: &KdlNode, diagnostics: &mut Vec<Diagnostic>) -> Option<Grant> {
    let subject = match (prop_text(node, "user"), prop_text(node, "group")) {
        (Some(user), None) => Subject::User(user.value),
        (None, Some(group)) => Subject::Group(group.value),
        (user, _) => {
            let (message, label) = match user {
                Some(_) => ("`grant` names both a user and a group", "two subjects"),
                None => ("`grant` names no subject", "whom to grant?"),
            };
            diagnostics.push(
                Diagnostic::new(Code::GrantSubject, node.name().span(), message, label)
                    .with_help("write one grant per subject: grant \"view\" user=\"…\" or grant \"view\" group=\"…\""),
            );
            return None;
        }
    };
    Some(Grant {
        role: text(arg(node, 0)?)?,
        subject,
        namespace: prop_text(node, "namespace").map(|n| n.value),
        span: node.span(),
    })
}

fn lower_role(node: &KdlNode) -> Option<RoleDef> {
    let words = |node: &KdlNode, key: &str| -> Vec<String> {
        prop_text(node, key).map(|s| s.split_whitespace().map(str::to_string).collect()).unwrap_or_default()
    };
    let rules = children(node, "rule")
        .map(|rule| Rule {
            api_groups: prop_text(rule, "api-groups").map_or(vec![String::new()], |_| words(rule, "api-groups")),
            resources: words(rule, "resources"),
            verbs: words(rule, "verbs"),
        })
        .collect();
    Some(RoleDef { name: text(arg(node, 0)?)?, rules })
}

pub fn lower_users(node: Option<&KdlNode>) -> Vec<User> {
    let Some(node) = node else { return Vec::new() };
    children(node, "user")
        .filter_map(|user| Some(User { name: text(arg(user, 0)?)?, ssh_keys: vec![prop_text(user, "ssh-key")?.value] }))
        .collect()
}

pub fn lower_registry(node: &KdlNode) -> Option<Registry> {
    Some(Registry {
        address: parsed(arg(node, 0)?, HostPort::parse)?,
        insecure: prop(node, "insecure").and_then(boolean).unwrap_or(false),
        mirror_of: prop_text(node, "mirror-of").map(|m| m.value),
    })
}

/// `gitops "flux"`; the path defaults to `clusters/<cluster>`.
pub fn lower_gitops(node: &KdlNode, cluster: &str) -> Option<GitOps> {
    Some(GitOps {
        url: prop_text(node, "url")?,
        branch: prop_text(node, "branch").map_or_else(|| "main".to_string(), |b| b.value),
        path: prop_text(node, "path")
            .map_or_else(|| format!("clusters/{cluster}"), |p| p.value.trim_matches('/').to_string()),
        layers: Vec::new(),
    })
}
