//! kubeadm, kubelet and kube-proxy documents against strict JSON schemas derived from their Go
//! types (`tests/schemas/k8s/`, see SOURCE.md there): unknown fields fail. Configs are checked
//! as kubeadm reads them: after user-data fills in the bootstrap token.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hlc::render::kubeadm::TOKEN_PLACEHOLDER;

use crate::support::{built, check_schemas, tree_files, valid_documents};

fn schema_for(document: &serde_yaml::Value) -> String {
    let api_version = document["apiVersion"].as_str().unwrap().replace('/', "_");
    format!("tests/schemas/k8s/{api_version}_{}.json", document["kind"].as_str().unwrap())
}

fn documents(text: &str) -> Vec<serde_yaml::Value> {
    serde_yaml::Deserializer::from_str(text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect()
}

#[test]
fn kubeadm_documents_pass_the_strict_schemas() {
    let scratch = tempfile::tempdir().unwrap();
    let mut by_schema: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for input in valid_documents() {
        let dir = built(&input);
        let token = std::fs::read_to_string(dir.join("state/token")).unwrap();
        let out = dir.join("out");
        for config in tree_files(&out, "kubeadm/init.yaml").into_iter().chain(tree_files(&out, "kubeadm/join.yaml")) {
            let text = std::fs::read_to_string(out.join(&config)).unwrap();
            assert!(text.contains(TOKEN_PLACEHOLDER), "{input} {config}: the token must not be in the public file");
            for (index, document) in documents(&text.replace(TOKEN_PLACEHOLDER, token.trim())).iter().enumerate() {
                let file =
                    scratch.path().join(format!("{}-{index}.json", by_schema.values().map(Vec::len).sum::<usize>()));
                std::fs::write(&file, serde_json::to_string(document).unwrap()).unwrap();
                by_schema.entry(schema_for(document)).or_default().push(file);
            }
        }
    }
    let kinds: std::collections::BTreeSet<&str> =
        by_schema.keys().map(|s| s.rsplit('_').next().unwrap().trim_end_matches(".json")).collect();
    let expected = [
        "ClusterConfiguration",
        "InitConfiguration",
        "JoinConfiguration",
        "KubeProxyConfiguration",
        "KubeletConfiguration",
    ];
    assert_eq!(kinds, expected.into_iter().collect(), "every kind of document is produced and checked");
    let failures = check_schemas(&by_schema);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_schemas_reject_an_unknown_field() {
    let dir = built("homelab.kdl");
    let text = std::fs::read_to_string(dir.join("out/nodes/node1/kubeadm/init.yaml")).unwrap();
    let token = std::fs::read_to_string(dir.join("state/token")).unwrap();
    let mut kubelet = documents(&text.replace(TOKEN_PLACEHOLDER, token.trim())).remove(2);
    assert_eq!(kubelet["kind"].as_str(), Some("KubeletConfiguration"));
    kubelet["cgroupsDriver"] = "systemd".into();
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("kubelet.json");
    std::fs::write(&file, serde_json::to_string(&kubelet).unwrap()).unwrap();
    let failures = check_schemas(&BTreeMap::from([(schema_for(&kubelet), vec![file])]));
    assert_eq!(failures.len(), 1, "a misspelt field passed the schema");
}
