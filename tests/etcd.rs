//! A live two-member etcd cluster on 127.0.0.1 started with the generated etcd PKI: peers talk
//! mTLS, the API server's etcd client certificate can write and read, a client without a
//! certificate is refused.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{build_fixture, run_tool, tool};

/// Kills the etcd processes when the test ends, however it ends.
struct Members(Vec<Child>);

impl Drop for Members {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_member(out: &Path, data: &Path, name: &str, client: u16, peer: u16, cluster: &str) -> Child {
    let pki = |file: &str| out.join(format!("nodes/{name}/etc/kubernetes/pki/etcd/{file}")).display().to_string();
    let ca = out.join("pki/etcd/ca.crt").display().to_string();
    Command::new(tool("etcd"))
        .args(["--name", name, "--data-dir", &data.join(name).display().to_string()])
        .args(["--listen-client-urls", &format!("https://127.0.0.1:{client}")])
        .args(["--advertise-client-urls", &format!("https://127.0.0.1:{client}")])
        .args(["--listen-peer-urls", &format!("https://127.0.0.1:{peer}")])
        .args(["--initial-advertise-peer-urls", &format!("https://127.0.0.1:{peer}")])
        .args(["--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", "hlc-test"])
        .args([
            "--client-cert-auth",
            "--trusted-ca-file",
            &ca,
            "--cert-file",
            &pki("server.crt"),
            "--key-file",
            &pki("server.key"),
        ])
        .args([
            "--peer-client-cert-auth",
            "--peer-trusted-ca-file",
            &ca,
            "--peer-cert-file",
            &pki("peer.crt"),
            "--peer-key-file",
            &pki("peer.key"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("etcd starts")
}

fn etcdctl(out: &Path, endpoint: &str, with_client_cert: bool, args: &[&str]) -> (bool, String) {
    let mut all = vec!["--endpoints".to_string(), endpoint.to_string(), "--cacert".into(), "pki/etcd/ca.crt".into()];
    if with_client_cert {
        all.extend(
            ["--cert", "pki/apiserver-etcd-client.crt", "--key", "pki/apiserver-etcd-client.key"].map(String::from),
        );
    }
    all.extend(["--dial-timeout", "2s", "--command-timeout", "5s"].map(String::from));
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    run_tool("etcdctl", &all, out)
}

#[test]
fn generated_etcd_pki_runs_a_two_member_cluster() {
    let dir = build_fixture("fixtures/valid/cilium.kdl");
    let out = dir.path().join("out");
    let data = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let cluster = format!("c1=https://127.0.0.1:{},c2=https://127.0.0.1:{}", ports[1], ports[3]);
    let _members = Members(vec![
        start_member(&out, data.path(), "c1", ports[0], ports[1], &cluster),
        start_member(&out, data.path(), "c2", ports[2], ports[3], &cluster),
    ]);
    let first = format!("https://127.0.0.1:{}", ports[0]);
    let second = format!("https://127.0.0.1:{}", ports[2]);

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (ok, text) = etcdctl(&out, &first, true, &["put", "/hlc/test", "hello"]);
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "etcd never accepted a write: {text}");
        std::thread::sleep(Duration::from_millis(300));
    }
    // Written through one member, read through the other: the peers replicate over mTLS.
    let (ok, text) = etcdctl(&out, &second, true, &["get", "/hlc/test", "--print-value-only"]);
    assert!(ok && text.trim() == "hello", "{text}");
    let (ok, members) = etcdctl(&out, &second, true, &["member", "list"]);
    assert!(ok && members.lines().count() == 2 && members.contains("started"), "{members}");
    // The health-check client certificate is accepted too.
    let (ok, health) = run_tool(
        "etcdctl",
        &[
            "--endpoints",
            &first,
            "--cacert",
            "pki/etcd/ca.crt",
            "--cert",
            "pki/etcd/healthcheck-client.crt",
            "--key",
            "pki/etcd/healthcheck-client.key",
            "endpoint",
            "health",
        ],
        &out,
    );
    assert!(ok, "{health}");
    // Without a client certificate the server refuses.
    let (ok, refused) = etcdctl(&out, &first, false, &["get", "/hlc/test"]);
    assert!(!ok, "a client without a certificate was served: {refused}");
}
