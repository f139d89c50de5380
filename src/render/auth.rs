//! RBAC for `grant`s (ClusterRoleBinding, or RoleBinding in a namespace, subjects carrying the
//! OIDC prefixes), ClusterRoles for declared `role`s, the namespaces grants name, and
//! `kubeconfig/oidc.conf` for signing in through `kubectl oidc-login`.

use serde_json::{json, Value};

use super::components::{metadata, Component, Namespace};
use super::outputs::Output;
use crate::model::SourceId;
use crate::model::{Grant, Oidc, Subject};
use crate::plan::reads::LabReader;
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

const RBAC: &str = "rbac.authorization.k8s.io/v1";

pub fn component(lab: &LabReader) -> Option<Component> {
    let auth = lab.auth().filter(|a| !a.grants.is_empty() || !a.roles.is_empty())?;
    let oidc = auth.oidc.as_ref()?;
    let mut component = Component::new("rbac");
    let mut namespaces: Vec<&str> = auth.grants.iter().filter_map(|g| g.namespace.as_deref()).collect();
    namespaces.sort();
    namespaces.dedup();
    component.manifests = namespaces
        .iter()
        .map(|name| super::components::namespace_object(&Namespace { name: name.to_string(), privileged: false }))
        .collect();
    component.manifests.extend(auth.roles.iter().map(|role| {
        let rules: Vec<Value> = role
            .rules
            .iter()
            .map(|r| json!({"apiGroups": r.api_groups, "resources": r.resources, "verbs": r.verbs}))
            .collect();
        json!({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": metadata(&role.name.value, None), "rules": rules})
    }));
    component.manifests.extend(auth.grants.iter().map(|grant| binding(grant, oidc)));
    Some(component)
}

/// A binding's name: `hlc:<role>:<kind>:<subject>`, lower-case and DNS-safe.
fn binding_name(grant: &Grant) -> String {
    let (kind, name) = match &grant.subject {
        Subject::User(name) => ("user", name),
        Subject::Group(name) => ("group", name),
    };
    let subject: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    format!("hlc:{}:{kind}:{subject}", grant.role.value)
}

fn binding(grant: &Grant, oidc: &Oidc) -> Value {
    let subject = match &grant.subject {
        Subject::User(name) => {
            json!({"kind": "User", "name": format!("{}{name}", oidc.username_prefix), "apiGroup": "rbac.authorization.k8s.io"})
        }
        Subject::Group(name) => {
            json!({"kind": "Group", "name": format!("{}{name}", oidc.groups_prefix), "apiGroup": "rbac.authorization.k8s.io"})
        }
    };
    let role_ref = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": grant.role.value});
    let kind = if grant.namespace.is_some() { "RoleBinding" } else { "ClusterRoleBinding" };
    json!({
        "apiVersion": RBAC,
        "kind": kind,
        "metadata": metadata(&binding_name(grant), grant.namespace.as_deref()),
        "roleRef": role_ref,
        "subjects": [subject],
    })
}

/// `kubeconfig/oidc.conf`: the cluster's CA and endpoint, a user that runs `kubectl oidc-login`.
pub fn register(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    if lab.auth().and_then(|a| a.oidc.as_ref()).is_none() {
        return;
    }
    let ca = super::pki::state_id(crate::pki::spec::CA);
    plan.step(Step {
        id: Output::Kubeconfig("oidc").path(),
        output: Some(OutputFile { path: Output::Kubeconfig("oidc").path(), secret: false, executable: false }),
        needs: [
            vec![ca.clone().into(), SourceId::Auth.into(), SourceId::Cluster.into()],
            super::node_files::endpoint_sources(lab),
        ]
        .concat(),
        produce: Box::new(move |context, inputs| {
            let lab = &context.lab;
            let oidc = lab.auth().and_then(|a| a.oidc.as_ref()).expect("registered with OIDC");
            let (host, port) = lab.control_plane_endpoint();
            let user = json!({"exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": "kubectl",
                "args": [
                    "oidc-login", "get-token",
                    format!("--oidc-issuer-url={}", oidc.issuer.value),
                    format!("--oidc-client-id={}", oidc.client_id),
                    "--oidc-extra-scope=email", "--oidc-extra-scope=groups",
                ],
                "interactiveMode": "IfAvailable",
            }});
            let user = serde_yaml::to_value(user)?;
            let ca_pem = &inputs.credential(&ca)?.cert_pem;
            let config = super::kubeconfig::kubeconfig(
                &lab.cluster().name.value,
                &format!("https://{host}:{port}"),
                ca_pem,
                "oidc",
                user,
            );
            super::yaml::document(&inputs.provenance(), &config).map(Product::File)
        }),
    });
}
