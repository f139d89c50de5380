//! The generated PKI against the real consumers: openssl (chain, purpose, SANs, key pairing),
//! kubectl (kubeconfigs), and reuse/renewal of certificates in the state directory.

use std::path::Path;

use hlc::build::{open_state, render_tree};
use hlc::clock::Clock;
use hlc::frontend::check_source;
use hlc::source::Source;

use crate::support::{build_fixture, root, run_tool, run_tool_split};

/// (certificate, CA, openssl purpose, names to verify) for the shared and per-node material.
fn chains(
    control_planes: &[(&str, &str)],
    vip: Option<(&str, Option<&str>)>,
) -> Vec<(String, String, &'static str, Vec<String>)> {
    let mut chains = vec![
        ("pki/ca.crt", "pki/ca.crt", "any", vec![]),
        ("pki/apiserver-kubelet-client.crt", "pki/ca.crt", "sslclient", vec![]),
        ("pki/front-proxy-client.crt", "pki/front-proxy-ca.crt", "sslclient", vec![]),
        ("pki/etcd/healthcheck-client.crt", "pki/etcd/ca.crt", "sslclient", vec![]),
        ("pki/apiserver-etcd-client.crt", "pki/etcd/ca.crt", "sslclient", vec![]),
    ]
    .into_iter()
    .map(|(c, a, p, n)| (c.to_string(), a.to_string(), p, n))
    .collect::<Vec<_>>();
    let mut apiserver_names: Vec<String> = [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "127.0.0.1",
    ]
    .map(String::from)
    .to_vec();
    if let Some((address, name)) = vip {
        apiserver_names.push(address.to_string());
        apiserver_names.extend(name.map(String::from));
    }
    for (node, ip) in control_planes {
        apiserver_names.push(node.to_string());
        apiserver_names.push(ip.to_string());
        for kind in ["server", "peer"] {
            for purpose in ["sslserver", "sslclient"] {
                let names = if purpose == "sslserver" {
                    vec![node.to_string(), ip.to_string(), "127.0.0.1".into(), "localhost".into()]
                } else {
                    vec![]
                };
                chains.push((
                    format!("nodes/{node}/etc/kubernetes/pki/etcd/{kind}.crt"),
                    "pki/etcd/ca.crt".into(),
                    purpose,
                    names,
                ));
            }
        }
    }
    chains.push(("pki/apiserver.crt".into(), "pki/ca.crt".into(), "sslserver", apiserver_names));
    chains
}

fn verify_chains(dir: &Path, control_planes: &[(&str, &str)], vip: Option<(&str, Option<&str>)>) {
    let out = dir.join("out");
    for (cert, ca, purpose, names) in chains(control_planes, vip) {
        let mut checks: Vec<Vec<String>> = vec![vec![]];
        checks.extend(names.iter().map(|n| {
            let flag = if n.parse::<std::net::IpAddr>().is_ok() { "-verify_ip" } else { "-verify_hostname" };
            vec![flag.to_string(), n.clone()]
        }));
        for extra in checks {
            let mut args = vec!["verify", "-CAfile", &ca, "-purpose", purpose];
            args.extend(extra.iter().map(String::as_str));
            args.push(&cert);
            let (ok, text) = run_tool("openssl", &args, &out);
            assert!(ok && text.contains(": OK"), "openssl {}: {text}", args.join(" "));
        }
    }
    // A name the certificate must not carry is refused: the check can fail.
    let (ok, _) = run_tool(
        "openssl",
        &["verify", "-CAfile", "pki/ca.crt", "-verify_ip", "203.0.113.9", "pki/apiserver.crt"],
        &out,
    );
    assert!(!ok, "apiserver.crt verified for an address it does not hold");
}

/// Every `.key` in the tree is the private half of the `.crt` beside it (or sa.pub).
fn verify_key_pairs(out: &Path) {
    let public = |args: &[&str]| run_tool("openssl", args, out);
    let tree = crate::build::snapshot_tree(out);
    let mut pairs = 0;
    for path in tree.keys().filter(|p| p.ends_with(".key")) {
        let partner = if path == "pki/sa.key" { path.replace(".key", ".pub") } else { path.replace(".key", ".crt") };
        let (ok, from_key) = public(&["pkey", "-in", path, "-pubout"]);
        assert!(ok, "{path}: {from_key}");
        let (ok, from_partner) = if partner.ends_with(".pub") {
            public(&["pkey", "-pubin", "-in", &partner, "-pubout"])
        } else {
            public(&["x509", "-in", &partner, "-noout", "-pubkey"])
        };
        assert!(ok, "{partner}: {from_partner}");
        assert_eq!(from_key, from_partner, "{path} does not belong to {partner}");
        pairs += 1;
    }
    assert!(pairs >= 14, "only {pairs} key pairs found");
}

fn verify_kubeconfigs(out: &Path, endpoint: &str) {
    let tree = crate::build::snapshot_tree(out);
    let configs: Vec<&String> = tree
        .iter()
        .filter(|(p, body)| p.ends_with(".conf") && String::from_utf8_lossy(body).contains("kind: Config"))
        .map(|(p, _)| p)
        .collect();
    assert!(configs.len() >= 5, "{configs:?}");
    for config in configs {
        let (ok, text, errors) =
            run_tool_split("kubectl", &["--kubeconfig", config, "config", "view", "--raw", "-o", "json"], out);
        assert!(ok, "{config}: {errors}");
        let view: serde_json::Value = serde_json::from_str(&text).unwrap();
        let server = view["clusters"][0]["cluster"]["server"].as_str().unwrap();
        assert!(server.starts_with("https://"), "{config}: {server}");
        if config.starts_with("kubeconfig/") {
            assert_eq!(server, endpoint, "{config}");
        }
        let user = &view["users"][0]["user"];
        if config == "kubeconfig/oidc.conf" {
            assert_eq!(user["exec"]["command"], "kubectl", "{config}");
            assert_eq!(user["exec"]["args"][0], "oidc-login", "{config}");
        } else {
            assert!(user["client-key-data"].is_string(), "{config}");
        }
    }
    let kubectl = crate::support::tool("kubectl").display().to_string();
    let (ok, subject) = run_tool("sh", &["-c", &format!("'{kubectl}' --kubeconfig kubeconfig/admin.conf config view --raw -o jsonpath='{{.users[0].user.client-certificate-data}}' | base64 -d | openssl x509 -noout -subject")], out);
    assert!(
        ok && subject.contains("O = kubeadm:cluster-admins") && subject.contains("CN = kubernetes-admin"),
        "{subject}"
    );
}

#[test]
fn ecdsa_pki_passes_openssl_and_kubectl() {
    let dir = build_fixture("homelab.kdl");
    let control_planes = [("node1", "192.168.110.21"), ("node2", "192.168.110.22"), ("node3", "192.168.110.23")];
    verify_chains(dir.path(), &control_planes, Some(("192.168.110.20", Some("k8s.home.arpa"))));
    verify_key_pairs(&dir.path().join("out"));
    verify_kubeconfigs(&dir.path().join("out"), "https://192.168.110.20:6443");
    let (_, text) = run_tool("openssl", &["x509", "-in", "pki/ca.crt", "-noout", "-text"], &dir.path().join("out"));
    assert!(text.contains("id-ecPublicKey") && text.contains("P-256"), "{text}");
    assert!(text.contains("CA:TRUE") && text.contains("Certificate Sign"), "{text}");
}

#[test]
fn rsa_pki_passes_openssl_and_kubectl() {
    let dir = build_fixture("fixtures/valid/keepalived-flannel.kdl");
    let control_planes = [("cp1", "172.16.5.11"), ("cp2", "172.16.5.12"), ("cp3", "172.16.5.13")];
    verify_chains(dir.path(), &control_planes, Some(("172.16.5.10", Some("api.lab.example.org"))));
    verify_key_pairs(&dir.path().join("out"));
    verify_kubeconfigs(&dir.path().join("out"), "https://172.16.5.10:8443");
    let (_, text) =
        run_tool("openssl", &["x509", "-in", "pki/apiserver.crt", "-noout", "-text"], &dir.path().join("out"));
    assert!(text.contains("rsaEncryption") && text.contains("2048 bit"), "{text}");
}

#[test]
fn single_control_plane_uses_its_own_address() {
    let dir = build_fixture("fixtures/valid/single-node.kdl");
    verify_chains(dir.path(), &[("solo1", "10.0.10.10")], None);
    verify_kubeconfigs(&dir.path().join("out"), "https://10.0.10.10:6443");
}

fn render(text: &str, state: &hlc::state::StateDir, clock: Clock) -> hlc::write::Tree {
    let source = Source::from_text("homelab.kdl", text);
    let lab = check_source(&source).lab.unwrap();
    render_tree(&lab, &source, state, clock).unwrap().0
}

#[test]
fn certificates_are_reused_until_their_spec_changes_or_they_near_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let state = open_state(&dir.path().join("state")).unwrap();
    let text = std::fs::read_to_string(root().join("homelab.kdl")).unwrap();
    let now = Clock::from_env().now.unix_timestamp();
    let first = render(&text, &state, Clock::at(now));
    let cert = |tree: &hlc::write::Tree, path: &str| tree[path].bytes.clone();
    // A day later, nothing changed: every certificate is reused.
    let later = render(&text, &state, Clock::at(now + 86_400));
    assert_eq!(first, later);
    // A new VIP name changes the apiserver certificate's SANs, and only that certificate.
    let renamed = text.replacen("name=\"k8s.home.arpa\"", "name=\"api.home.arpa\"", 1);
    let after = render(&renamed, &state, Clock::at(now + 86_400));
    assert_ne!(cert(&first, "pki/apiserver.crt"), cert(&after, "pki/apiserver.crt"));
    for path in [
        "pki/ca.crt",
        "pki/front-proxy-client.crt",
        "pki/apiserver-etcd-client.crt",
        "nodes/node1/etc/kubernetes/pki/etcd/server.crt",
    ] {
        assert_eq!(cert(&first, path), cert(&after, path), "{path} was re-issued");
    }
    // Inside the 30-day renewal window of a one-year leaf, leaves are renewed; the CA is not.
    let renewal = render(&renamed, &state, Clock::at(now + 340 * 86_400));
    assert_ne!(cert(&after, "pki/front-proxy-client.crt"), cert(&renewal, "pki/front-proxy-client.crt"));
    assert_eq!(cert(&after, "pki/ca.crt"), cert(&renewal, "pki/ca.crt"));
    // The token and the service-account key never change.
    assert_eq!(cert(&first, "pki/sa.key"), cert(&renewal, "pki/sa.key"));
}

#[test]
fn a_new_ca_reissues_everything_it_signed() {
    let dir = tempfile::tempdir().unwrap();
    let state = open_state(&dir.path().join("state")).unwrap();
    let text = std::fs::read_to_string(root().join("homelab.kdl")).unwrap();
    let first = render(&text, &state, Clock::from_env());
    std::fs::remove_file(dir.path().join("state/pki/ca.meta")).unwrap();
    let second = render(&text, &state, Clock::from_env());
    assert_ne!(first["pki/ca.crt"], second["pki/ca.crt"]);
    assert_ne!(first["pki/apiserver.crt"], second["pki/apiserver.crt"]);
    assert_eq!(first["pki/etcd/ca.crt"], second["pki/etcd/ca.crt"], "the etcd CA is independent");
}

#[test]
fn state_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = build_fixture("fixtures/valid/single-node.kdl");
    let mode = |p: &str| std::fs::metadata(dir.path().join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("state"), 0o700);
    assert_eq!(mode("state/pki/ca.key"), 0o600);
    assert_eq!(mode("state/token"), 0o600);
    let token = std::fs::read_to_string(dir.path().join("state/token")).unwrap();
    assert!(hlc::pki::is_bootstrap_token(token.trim()), "{token}");
}
