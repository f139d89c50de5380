//! `bootstrap/`: what runs once before Flux. `install.sh` applies the CNI's namespace and installs
//! the CNI with Helm (nothing schedules without it), labels storage nodes, then installs Flux and
//! applies its sync objects — or, without `gitops`, installs every component in order.
//! `helmfile.yaml` lists the same releases for people who use helmfile.

use std::fmt::Write;

use serde_json::json;

use super::addons::{component_id, components, listing, Listing};
use super::charts::flux_version;
use super::node_files::TOPOLOGY;
use super::outputs::Output;
use crate::model::{Role, SourceId};
use crate::plan::engine::Inputs;
use crate::plan::reads::LabReader;
use crate::plan::Need;
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

/// The files of `bootstrap/`.
pub const INSTALL: &str = "install.sh";
pub const HELMFILE: &str = "helmfile.yaml";

/// The components the script installs itself: the CNI, or everything without GitOps.
fn installed(lab: &LabReader, all: Vec<Listing>) -> Vec<Listing> {
    if lab.gitops().is_some() {
        all.into_iter().filter(|c| c.layer == "cni").collect()
    } else {
        all
    }
}

/// Both files read the components' listings (their steps' products: layer, namespace, release
/// chart and version), not the values the components' sources hold.
pub fn register(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    let layers: Vec<&'static str> = components(lab).iter().map(|c| c.layer).collect();
    let listed: Vec<Need> = layers.iter().map(|layer| component_id(layer)).collect();
    let read = move |inputs: &Inputs| layers.iter().map(|layer| listing(inputs, layer)).collect::<Result<Vec<_>, _>>();
    let read_again = read.clone();
    plan.step(Step {
        id: Output::Bootstrap(INSTALL).path(),
        output: Some(OutputFile { path: Output::Bootstrap(INSTALL).path(), secret: false, executable: true }),
        // Storage nodes and whether control planes run workloads: the topology.
        needs: [listed.clone(), vec![SourceId::Gitops.into(), TOPOLOGY.into()]].concat(),
        produce: Box::new(move |context, inputs| {
            Ok(Product::File(script(&context.lab, &read(inputs)?, &inputs.provenance()).into_bytes()))
        }),
    });
    plan.step(Step {
        id: Output::Bootstrap(HELMFILE).path(),
        output: Some(OutputFile { path: Output::Bootstrap(HELMFILE).path(), secret: false, executable: false }),
        needs: [listed, vec![SourceId::Gitops.into()]].concat(),
        produce: Box::new(move |context, inputs| {
            let helmfile = helmfile(&installed(&context.lab, read_again(inputs)?));
            super::yaml::document(&inputs.provenance(), &helmfile).map(Product::File)
        }),
    });
}

fn helmfile(components: &[Listing]) -> serde_json::Value {
    let releases: Vec<_> = components.iter().filter_map(|c| c.release.as_ref()).collect();
    let mut repositories = Vec::new();
    for release in &releases {
        let repository = json!({"name": release.repository, "url": release.url});
        if !repositories.contains(&repository) {
            repositories.push(repository);
        }
    }
    let releases: Vec<_> = releases
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "namespace": r.namespace,
                "chart": format!("{}/{}", r.repository, r.chart),
                "version": r.version,
                "values": [format!("../{}", Output::HelmValues(&r.name).path())],
            })
        })
        .collect();
    json!({"repositories": repositories, "releases": releases})
}

fn script(lab: &LabReader, all: &[Listing], provenance: &str) -> String {
    let mut out = format!("#!/bin/sh\n# {provenance}\n# Run once from the output directory's parent or anywhere: paths are relative to this file.\nset -eu\ncd \"$(dirname \"$0\")/..\"\nexport KUBECONFIG=\"${{KUBECONFIG:-$PWD/{}}}\"\n\n", Output::Kubeconfig("admin").path());
    if all.iter().any(|c| c.namespace.is_some()) {
        // Namespaces first, with their Pod Security labels; objects that need a chart's CRDs
        // after that chart.
        writeln!(out, "kubectl apply -f {}\n", Output::Namespaces.path()).unwrap();
    }
    for component in installed(lab, all.to_vec()) {
        writeln!(out, "# {}", component.layer).unwrap();
        if let Some(release) = &component.release {
            writeln!(out, "helm repo add {} {} --force-update", release.repository, release.url).unwrap();
            writeln!(
                out,
                "helm upgrade --install {} {}/{} --version {} --namespace {} --values {} --wait --timeout 10m",
                release.name,
                release.repository,
                release.chart,
                release.version,
                release.namespace,
                Output::HelmValues(&release.name).path()
            )
            .unwrap();
        }
        if component.manifests {
            writeln!(out, "kubectl apply -f {}", Output::Manifests(&component.layer).path()).unwrap();
        }
        out.push('\n');
    }
    if lab.control_planes_run_workloads() {
        // Control planes run workloads here; let load balancers announce from them too.
        writeln!(out, "kubectl label nodes -l node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers- --overwrite").unwrap();
    }
    for node in lab.nodes().filter(|n| n.role() == Role::Storage) {
        // The kubelet may not set node-role labels on itself; an admin does.
        writeln!(out, "kubectl label node {} node-role.kubernetes.io/storage= --overwrite", node.name()).unwrap();
    }
    if let Some(gitops) = lab.gitops() {
        writeln!(out, "\n# Flux: the controllers, then the sync objects for {} ({}).", gitops.url.value, gitops.branch)
            .unwrap();
        writeln!(out, "flux install --version={}", flux_version()).unwrap();
        if super::flux::needs_git_secret(gitops) {
            // The Secret lives in the namespace `flux install` has just made; without it the
            // GitRepository cannot pull, so stop and say how to make it (this script re-runs safely).
            let url = &gitops.url.value;
            writeln!(out, "# Over ssh the GitRepository reads its deploy key from the Secret flux-system.").unwrap();
            writeln!(out, "if ! kubectl --namespace flux-system get secret flux-system >/dev/null 2>&1; then").unwrap();
            writeln!(out, "    echo \"install.sh: create the Git credentials, then run install.sh again:\" >&2")
                .unwrap();
            writeln!(
                out,
                "    echo \"  flux create secret git flux-system --url={url} --private-key-file=<the deploy key>\" >&2"
            )
            .unwrap();
            writeln!(out, "    exit 1\nfi").unwrap();
        }
        writeln!(out, "kubectl apply -k {}", Output::Flux { root: &gitops.path, file: "flux-system" }.path()).unwrap();
    }
    out
}
