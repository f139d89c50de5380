//! `bootstrap/`: what runs once before Flux. `install.sh` applies the CNI's namespace and installs
//! the CNI with Helm (nothing schedules without it), labels storage nodes, then installs Flux and
//! applies its sync objects — or, without `gitops`, installs every component in order.
//! `helmfile.yaml` lists the same releases for people who use helmfile.

use std::fmt::Write;

use serde_json::json;

use super::addons::component_id;
use super::addons::components;
use super::charts::flux_version;
use super::components::Component;
use super::outputs::Output;
use crate::model::Role;
use crate::plan::reads::LabReader;
use crate::plan::Need;
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

/// The components the script installs itself: the CNI, or everything without GitOps.
fn installed(lab: &LabReader) -> Vec<Component> {
    let all = components(lab);
    if lab.gitops().is_some() {
        all.into_iter().filter(|c| c.layer == "cni").collect()
    } else {
        all
    }
}

pub fn register(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    // Each file needs what it reads (the components it lists and what describing them reads),
    // learnt by rendering it once through a fresh reader.
    let needs_of = |render: &dyn Fn(&LabReader)| {
        let reader = lab.fresh();
        render(&reader);
        let components = installed(&reader).into_iter().map(|c| component_id(c.layer));
        let mut needs: Vec<Need> = reader.reads().into_iter().chain(components).collect();
        needs.sort();
        needs.dedup();
        needs
    };
    plan.step(Step {
        id: "bootstrap/install.sh".into(),
        output: Some(OutputFile { path: "bootstrap/install.sh".into(), secret: false, executable: true }),
        needs: needs_of(&|reader| drop(script(reader, ""))),
        produce: Box::new(|context, inputs| Ok(Product::File(script(&context.lab, &inputs.provenance()).into_bytes()))),
    });
    plan.step(Step {
        id: "bootstrap/helmfile.yaml".into(),
        output: Some(OutputFile { path: "bootstrap/helmfile.yaml".into(), secret: false, executable: false }),
        needs: needs_of(&|reader| drop(helmfile(reader))),
        produce: Box::new(|context, inputs| {
            super::yaml::document(&inputs.provenance(), &helmfile(&context.lab)).map(Product::File)
        }),
    });
}

fn helmfile(lab: &LabReader) -> serde_json::Value {
    let components = installed(lab);
    let releases: Vec<_> = components.iter().filter_map(|c| c.release.as_ref()).collect();
    let mut repositories = Vec::new();
    for release in &releases {
        let repository = json!({"name": release.chart.repository, "url": release.chart.url});
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
                "chart": format!("{}/{}", r.chart.repository, r.chart.chart),
                "version": r.chart.version,
                "values": [format!("../cluster/helm-values/{}.yaml", r.name)],
            })
        })
        .collect();
    json!({"repositories": repositories, "releases": releases})
}

fn script(lab: &LabReader, provenance: &str) -> String {
    let mut out = format!("#!/bin/sh\n# {provenance}\n# Run once from the output directory's parent or anywhere: paths are relative to this file.\nset -eu\ncd \"$(dirname \"$0\")/..\"\nexport KUBECONFIG=\"${{KUBECONFIG:-$PWD/{}}}\"\n\n", Output::Kubeconfig("admin").path());
    if components(lab).iter().any(|c| c.namespace.is_some()) {
        // Namespaces first, with their Pod Security labels; objects that need a chart's CRDs
        // after that chart.
        out.push_str("kubectl apply -f cluster/manifests/namespaces.yaml\n\n");
    }
    for component in installed(lab) {
        writeln!(out, "# {}", component.layer).unwrap();
        if let Some(release) = &component.release {
            let chart = &release.chart;
            writeln!(out, "helm repo add {} {} --force-update", chart.repository, chart.url).unwrap();
            writeln!(
                out,
                "helm upgrade --install {} {}/{} --version {} --namespace {} --values cluster/helm-values/{}.yaml --wait --timeout 10m",
                release.name, chart.repository, chart.chart, chart.version, release.namespace, release.name
            )
            .unwrap();
        }
        if !component.manifests.is_empty() {
            writeln!(out, "kubectl apply -f cluster/manifests/{}.yaml", component.layer).unwrap();
        }
        out.push('\n');
    }
    if lab.control_planes_run_workloads() {
        // Control planes run workloads here; let load balancers announce from them too.
        writeln!(out, "kubectl label nodes -l node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers- --overwrite").unwrap();
    }
    for node in lab.nodes().filter(|n| n.role() == Role::Storage) {
        let node = &node;
        // The kubelet may not set node-role labels on itself; an admin does.
        writeln!(out, "kubectl label node {} node-role.kubernetes.io/storage= --overwrite", node.name.value).unwrap();
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
        writeln!(out, "kubectl apply -k flux/{}/flux-system", gitops.path).unwrap();
    }
    out
}
