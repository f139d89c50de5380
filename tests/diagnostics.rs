//! Every file in fixtures/invalid/ reports the code its name says, with a snapshot of the human
//! rendering and the JSON lines; every diagnostic code has such a fixture.

use hlc::codes::Code;
use hlc::diagnostic::{render_human, render_json};
use hlc::frontend::check_source;
use hlc::source::Source;

use crate::support::{hlc, kdl_files, root};

/// `hlc::net::outside-lan` ↔ `net-outside-lan.kdl`.
fn fixture_name(code: Code) -> String {
    code.as_str().trim_start_matches("hlc::").replacen("::", "-", 1) + ".kdl"
}

#[test]
fn every_code_has_a_fixture() {
    // `hlc::state::*` codes judge a tree and a state directory, not a document: tests/state.rs;
    // `hlc::lifecycle::*` judge a document against the previous build's lock: tests/lifecycle.rs.
    let missing: Vec<_> = Code::ALL
        .iter()
        .filter(|c| !c.as_str().starts_with("hlc::state::") && !c.as_str().starts_with("hlc::lifecycle::"))
        .filter(|c| !root().join("fixtures/invalid").join(fixture_name(**c)).is_file())
        .collect();
    assert!(missing.is_empty(), "codes without a fixture in fixtures/invalid: {missing:?}");
}

#[test]
fn every_fixture_reports_its_code() {
    for path in kdl_files("fixtures/invalid") {
        let source = Source::load(&root().join(&path)).unwrap();
        let codes: Vec<&str> = check_source(&source).diagnostics.iter().map(|d| d.code.as_str()).collect();
        let expected = Code::ALL.iter().find(|c| path.ends_with(&format!("/{}", fixture_name(**c))));
        let expected = expected.unwrap_or_else(|| panic!("{path} is named after no diagnostic code"));
        assert!(codes.contains(&expected.as_str()), "{path}: expected {}, got {codes:?}", expected.as_str());
    }
}

#[test]
fn diagnostics_snapshots() {
    insta::glob!("../fixtures/invalid", "*.kdl", |path| {
        // Loaded from its file (some name files beside them), shown under its repository path.
        let mut source = Source::load(path).unwrap();
        source.name = format!("fixtures/invalid/{}", path.file_name().unwrap().to_string_lossy());
        let diagnostics = check_source(&source).diagnostics;
        let json: Vec<String> = diagnostics.iter().map(|d| render_json(d, &source)).collect();
        let rendered = format!("{}\n--- json ---\n{}\n", render_human(&diagnostics, &source, false), json.join("\n"));
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(rendered);
        });
    });
}

#[test]
fn json_lines_carry_the_primary_position() {
    let run = hlc(&["--message-format", "json", "check", "fixtures/invalid/net-duplicate-ip.kdl"]);
    assert_eq!(run.status, 1);
    let line: serde_json::Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    let text = std::fs::read_to_string(root().join("fixtures/invalid/net-duplicate-ip.kdl")).unwrap();
    // The second NIC's ip= entry is where the duplicate is reported.
    let (line_index, source_line) =
        text.lines().enumerate().filter(|(_, l)| l.contains("ip=\"192.168.1.11\"")).nth(1).unwrap();
    assert_eq!(line["code"], "hlc::net::duplicate-ip");
    assert_eq!(line["severity"], "error");
    assert_eq!(line["line"], line_index + 1);
    assert_eq!(line["column"], source_line.find("ip=").unwrap() + 1);
    assert_eq!(line["labels"].as_array().unwrap().len(), 2);
    assert!(line["help"].is_string());
}

#[test]
fn all_diagnostics_are_reported_together() {
    let source = Source::from_text(
        "many.kdl",
        std::fs::read_to_string(root().join("fixtures/invalid/net-outside-lan.kdl")).unwrap()
            + "\nnode \"w2\" hardware=\"mini\" {\n    nic \"eth0\" mac=\"02:00:00:00:00:09\" ip=\"192.168.1.60\"\n}\n",
    );
    let codes: Vec<&str> = check_source(&source).diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes.iter().filter(|c| **c == "hlc::net::outside-lan").count(), 2, "{codes:?}");
    assert!(codes.contains(&"hlc::net::in-lb-pool"), "{codes:?}");
}

#[test]
fn warnings_pass_unless_denied() {
    let fixture = "fixtures/invalid/cluster-even-control-planes.kdl";
    assert_eq!(hlc(&["check", fixture]).status, 0);
    let denied = hlc(&["check", "--deny-warnings", fixture]);
    assert_eq!(denied.status, 1);
    assert!(denied.stderr.contains("hlc::cluster::even-control-planes"));
}

#[test]
fn advice_does_not_fail_even_when_warnings_are_denied() {
    assert_eq!(hlc(&["check", "--deny-warnings", "fixtures/invalid/lb-strict-arp.kdl"]).status, 0);
}

fn codes_of(text: &str) -> Vec<&'static str> {
    check_source(&Source::from_text("t.kdl", text)).diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn a_node_on_the_gateway_address_is_a_duplicate_ip() {
    let text = std::fs::read_to_string(root().join("fixtures/valid/single-node.kdl")).unwrap();
    let codes = codes_of(&text.replace("ip=\"10.0.10.10\"", "ip=\"10.0.10.1\""));
    assert!(codes.contains(&"hlc::net::duplicate-ip"), "{codes:?}");
}

#[test]
fn a_pool_inside_the_service_network_overlaps_it() {
    let text = std::fs::read_to_string(root().join("fixtures/valid/nfs-box.kdl")).unwrap();
    let text = text.replace("    vip ", "    services \"10.200.0.0/16\"\n    vip ");
    let codes = codes_of(&text);
    assert!(codes.contains(&"hlc::net::pool-overlap"), "{codes:?}");
}

#[test]
fn dns_servers_may_lie_outside_the_lan_and_other_addresses_may_not() {
    let text = std::fs::read_to_string(root().join("fixtures/valid/single-node.kdl")).unwrap();
    let lan = "gateway=\"10.0.10.1\"";
    // (single-node.kdl has no `access`: its warning is the only finding.)
    assert_eq!(codes_of(&text.replace(lan, "gateway=\"10.0.10.1\" dns=\"1.1.1.1\"")), ["hlc::access::none"]);
    // The gateway, a node IP and the VIP must still be in the LAN.
    let codes = codes_of(&text.replace(lan, "gateway=\"10.0.11.1\" dns=\"1.1.1.1\""));
    assert_eq!(codes, ["hlc::access::none", "hlc::net::outside-lan"]);
    let codes = codes_of(&text.replace("ip=\"10.0.10.10\"", "ip=\"10.0.11.10\""));
    assert_eq!(codes, ["hlc::access::none", "hlc::net::outside-lan"]);
    // Inside the LAN a DNS server is a host like any other: not the network address, not leased.
    let codes = codes_of(&text.replace(lan, "gateway=\"10.0.10.1\" dns=\"10.0.10.0\""));
    assert_eq!(codes, ["hlc::access::none", "hlc::net::reserved-address"]);
    let dhcp = "gateway=\"10.0.10.1\" dns=\"10.0.10.210\"\n    dhcp range=\"10.0.10.200-10.0.10.249\"";
    let codes = codes_of(&text.replace(lan, dhcp));
    assert!(codes.contains(&"hlc::net::in-dhcp-range"), "{codes:?}");
}

#[test]
fn no_access_and_unstable_disk_names_warn_but_build() {
    // keepalived-flannel.kdl has no `access` and a data disk /dev/sdb.
    let fixture = "fixtures/valid/keepalived-flannel.kdl";
    let run = hlc(&["--message-format", "json", "check", fixture]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let codes: Vec<String> = run
        .stdout
        .lines()
        .chain(run.stderr.lines())
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["hlc::access::none", "hlc::disk::unstable-path"]);
    assert_eq!(hlc(&["check", "--deny-warnings", fixture]).status, 1);
    assert!(crate::support::built(fixture).join("out/hlc.lock").is_file());
    // Stable names and an `access` user: nothing to say.
    let text = std::fs::read_to_string(root().join(fixture)).unwrap().replace("/dev/sdb", "/dev/disk/by-id/ata-HDD_1")
        + "access {\n    user \"ops\" ssh-key=\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0v3xPq0sQdbZ5Zk8m8e1K1o2eSx0cYk3nUJ0gQxk9D ops@laptop\"\n}\n";
    assert_eq!(codes_of(&text), Vec::<&str>::new());
    // The OS disk is the installer's target: /dev/sda is fine there.
    assert!(codes_of(&text.replace(
        "disk \"/dev/disk/by-id/ata-HDD_1\"",
        "disk \"/dev/sda\" use=\"os\"\n    disk \"/dev/disk/by-id/ata-HDD_1\""
    ))
    .is_empty());
}
