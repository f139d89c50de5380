//! The checks that judge a change against the previous build (its lock): a Kubernetes version
//! that skips a minor or goes down (errors: kubeadm supports neither, and no flag overrides
//! them), several control planes removed at once (quorum), and certificates that expire soon.

use super::baseline::{date_of, CertificateRecord};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{KubeVersion, Lab};
use crate::write::lock::Lock;

/// Warn this many days before a leaf certificate expires, and a CA.
pub const LEAF_WARNING_DAYS: i64 = 60;
pub const CA_WARNING_DAYS: i64 = 365;

/// The Kubernetes version the previous build's nodes run, if it recorded one.
pub fn previous_version(old: &Lock) -> Option<KubeVersion> {
    old.nodes.iter().filter_map(|n| KubeVersion::parse(&n.kubernetes).ok()).max_by_key(|v| (v.minor, v.patch))
}

/// Every check that judges the document against the previous build's lock (none without one):
/// version skips and downgrades, the only control plane moving (errors), control planes leaving
/// at once (a warning).
pub fn against_previous_build(lab: &Lab, previous: Option<&Lock>) -> Vec<Diagnostic> {
    let mut diagnostics = version_change(lab, previous);
    diagnostics.extend(cluster_rebuild(lab, previous));
    diagnostics.extend(quorum(lab, previous));
    diagnostics
}

/// `hlc::lifecycle::version-skip` and `hlc::lifecycle::downgrade`, on the `kubernetes` line.
pub fn version_change(lab: &Lab, old: Option<&Lock>) -> Vec<Diagnostic> {
    let Some(before) = old.and_then(previous_version) else { return Vec::new() };
    let after = &lab.cluster.kubernetes;
    let next = KubeVersion { minor: before.minor + 1, patch: None };
    let allowed = format!(
        "the previous build runs {before}: `kubernetes \"1.{}\"` keeps it{}",
        before.minor,
        if next.is_supported() { format!(", `kubernetes \"{next}\"` is the next minor") } else { String::new() }
    );
    let lower = (after.minor, after.patch.unwrap_or(0)) < (before.minor, before.patch.unwrap_or(0));
    if after.minor > before.minor + 1 {
        let skipped: Vec<String> = (before.minor + 1..after.minor).map(|m| format!("1.{m}")).collect();
        return vec![Diagnostic::new(
            Code::VersionSkip,
            after.span,
            format!(
                "Kubernetes {} skips {} (the previous build, hlc.lock, runs {before})",
                after.value,
                skipped.join(", ")
            ),
            "raise by one minor at a time",
        )
        .with_help(format!("{allowed}; build, apply the change plan on every node, then raise again"))];
    }
    if lower {
        return vec![Diagnostic::new(
            Code::VersionDowngrade,
            after.span,
            format!("Kubernetes {} is lower than the previous build's {before} (hlc.lock)", after.value),
            "kubeadm cannot downgrade a cluster",
        )
        .with_help(allowed)];
    }
    Vec::new()
}

/// `hlc::lifecycle::cluster-rebuild`: the previous build's only control plane keeps its name but
/// changes its IP or stops being a control plane. Its node IP and etcd peer URL cannot change in
/// place, and re-joining it means `kubeadm reset` of the cluster's only etcd member: every object
/// is lost and a new, empty cluster starts (and without a VIP every node's kubeconfig still points
/// at the old address).
pub fn cluster_rebuild(lab: &Lab, old: Option<&Lock>) -> Vec<Diagnostic> {
    let Some(old) = old else { return Vec::new() };
    let control_planes: Vec<_> = old.nodes.iter().filter(|n| n.role == "control-plane").collect();
    let [only] = control_planes.as_slice() else { return Vec::new() };
    let Some(node) = lab.nodes.iter().find(|n| n.name.value == only.name) else { return Vec::new() };
    let moved = node.ip().to_string() != only.ip;
    if !moved && node.is_control_plane() {
        return Vec::new();
    }
    let span = node.nics.first().map_or(node.name.span, |nic| nic.ip.span);
    let what = if moved {
        format!("its IP changes {} -> {}", only.ip, node.ip())
    } else {
        "it stops being a control plane".into()
    };
    vec![Diagnostic::new(
        Code::ClusterRebuild,
        span,
        format!("node {} is the cluster's only control plane (hlc.lock) and {what}", only.name),
        "the only etcd member",
    )
    .with_help(
        "it would have to re-join, and resetting the only etcd member loses the cluster: keep its address          (and role); to move it, add a control plane first (with a VIP), apply, then change this one",
    )]
}

/// `hlc::lifecycle::quorum`: control planes that leave in one change (removed, or made workers).
pub fn quorum(lab: &Lab, old: Option<&Lock>) -> Vec<Diagnostic> {
    let Some(old) = old else { return Vec::new() };
    let leaving: Vec<&str> = old
        .nodes
        .iter()
        .filter(|n| n.role == "control-plane")
        .filter(|n| !lab.control_planes().any(|c| c.name.value == n.name))
        .map(|n| n.name.as_str())
        .collect();
    if leaving.len() < 2 {
        return Vec::new();
    }
    vec![Diagnostic::new(
        Code::QuorumRisk,
        lab.cluster.span,
        format!("this change removes the control planes {} at once", leaving.join(", ")),
        "the cluster's control planes",
    )
    .with_help(
        "etcd keeps quorum only if they leave one at a time: remove one, build, follow the change plan \
         (etcd member remove before power-off), then the next",
    )]
}

/// `hlc::lifecycle::expiring`: a certificate of the new tree that expires soon (one a build does
/// not renew: a CA, or a state hlc cannot write), or one the nodes still use (the previous build's)
/// that this build renews: it must reach them in time.
pub fn expiring(lab: &Lab, old: Option<&Lock>, new: &Lock, now: i64) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for certificate in &new.certificates {
        if let Some(days) = days_left(certificate, now) {
            diagnostics.push(warning(lab, certificate, days, "in this build").with_help(if certificate.ca {
                "hlc never re-issues a CA on its own (a new CA is a new cluster): rotate it by hand (kubeadm's \
                 manual CA rotation) well before then"
            } else {
                "hlc renews leaf certificates from 90 days before expiry on every build: check the state directory \
                 is writable and the clock (SOURCE_DATE_EPOCH) is right"
            }));
        }
    }
    for certificate in old.iter().flat_map(|o| &o.certificates) {
        let renewed =
            new.certificates.iter().any(|c| c.path == certificate.path && c.not_after > certificate.not_after);
        if let (true, Some(days)) = (renewed, days_left(certificate, now)) {
            diagnostics.push(warning(lab, certificate, days, "on the nodes (the previous build)").with_help(format!(
                "this build renews it: apply it before {} (the change plan in PLAN.md: give each listed node its new \
                 seed and reboot it)",
                certificate.expires
            )));
        }
    }
    diagnostics
}

/// Days until `certificate` expires when inside its warning window (negative: expired).
fn days_left(certificate: &CertificateRecord, now: i64) -> Option<i64> {
    let window = if certificate.ca { CA_WARNING_DAYS } else { LEAF_WARNING_DAYS };
    let days = (certificate.not_after - now).div_euclid(86_400);
    (days < window).then_some(days)
}

fn warning(lab: &Lab, certificate: &CertificateRecord, days: i64, place: &str) -> Diagnostic {
    let when = if days < 0 {
        format!("expired on {}", date_of(certificate.not_after))
    } else {
        format!("expires on {} (in {days} days)", date_of(certificate.not_after))
    };
    Diagnostic::new(
        Code::CertificateExpiring,
        lab.cluster.span,
        format!("{} ({}) {place} {when}", certificate.path, certificate.subject),
        "this cluster's certificates",
    )
}
