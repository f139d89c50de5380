//! Boot media (spec section 7): every node's `media/cidata.iso` and `media/cidata.img` pass their
//! own tools (isoinfo, xorriso, fsck.vfat, mtools), carry the label cloud-init looks for and the
//! seed byte for byte; `rpi-boot/` copies equal the seed; Ubuntu autoinstall passes subiquity's
//! schema and hands the node's own cloud-config to the installed system. A corrupted image and
//! an invalid autoinstall document must fail the same checks.

use std::path::Path;

use crate::support::{built, root, run_tool, run_tool_split, tree_files, valid_documents};

const SEED: [&str; 3] = ["user-data", "meta-data", "network-config"];

fn nodes_of(out: &Path) -> Vec<String> {
    tree_files(out, "nocloud/meta-data").iter().map(|p| p.split('/').nth(1).unwrap().to_string()).collect()
}

/// The ISO's label, Joliet presence and files (extracted with xorriso), or what went wrong.
fn iso_files(iso: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let dir = tempfile::tempdir().unwrap();
    let (ok, info, errors) = run_tool_split("isoinfo", &["-d", "-i", &iso.display().to_string()], dir.path());
    if !ok || !info.contains("Volume id: cidata") || !info.contains("Joliet with UCS level 3 found") {
        return Err(format!("isoinfo: {info}{errors}"));
    }
    let target = dir.path().join("x");
    let (ok, text) = run_tool(
        "xorriso",
        &["-osirrox", "on", "-indev", &iso.display().to_string(), "-extract", "/", &target.display().to_string()],
        dir.path(),
    );
    if !ok {
        return Err(format!("xorriso: {text}"));
    }
    read_dir(&target)
}

/// The FAT image's label and files (copied out with mtools), after fsck.vfat, or what went wrong.
fn fat_files(img: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let dir = tempfile::tempdir().unwrap();
    let image = img.display().to_string();
    let (ok, text) = run_tool("fsck.vfat", &["-n", &image], dir.path());
    if !ok {
        return Err(format!("fsck.vfat: {text}"));
    }
    let (ok, label, _) = run_tool_split("mlabel", &["-s", "-i", &image, "::"], dir.path());
    if !ok || !label.contains("CIDATA") {
        return Err(format!("label: {label}"));
    }
    let target = dir.path().join("x");
    std::fs::create_dir(&target).unwrap();
    let (ok, text) = run_tool("mcopy", &["-s", "-n", "-i", &image, "::/*", &target.display().to_string()], dir.path());
    if !ok {
        return Err(format!("mcopy: {text}"));
    }
    read_dir(&target)
}

fn read_dir(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    Ok(files)
}

fn seed_of(out: &Path, node: &str) -> Vec<(String, Vec<u8>)> {
    let mut seed: Vec<(String, Vec<u8>)> = SEED
        .iter()
        .map(|f| (f.to_string(), std::fs::read(out.join(format!("nodes/{node}/nocloud/{f}"))).unwrap()))
        .collect();
    seed.sort();
    seed
}

#[test]
fn cidata_images_hold_the_seed_byte_for_byte() {
    let mut checked = 0;
    for input in valid_documents() {
        let out = built(&input).join("out");
        let lock = hlc::write::current_lock(&out).unwrap();
        for node in nodes_of(&out) {
            let seed = seed_of(&out, &node);
            for (image, files) in [
                ("cidata.iso", iso_files(&out.join(format!("nodes/{node}/media/cidata.iso")))),
                ("cidata.img", fat_files(&out.join(format!("nodes/{node}/media/cidata.img")))),
            ] {
                let files = files.unwrap_or_else(|e| panic!("{input} {node} {image}: {e}"));
                assert!(files == seed, "{input} {node} {image}: files differ from the seed");
                let path = format!("nodes/{node}/media/{image}");
                assert!(lock.entry(&path).unwrap_or_else(|| panic!("{path} in the lock")).secret, "{path} is secret");
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "{checked}");
}

#[test]
fn corrupted_images_fail_their_checks() {
    let out = built("homelab.kdl").join("out");
    let dir = tempfile::tempdir().unwrap();
    let iso = std::fs::read(out.join("nodes/node1/media/cidata.iso")).unwrap();
    let mut relabelled = iso.clone();
    relabelled[16 * 2048 + 40..16 * 2048 + 46].copy_from_slice(b"CDROM1");
    std::fs::write(dir.path().join("bad.iso"), &relabelled).unwrap();
    assert!(iso_files(&dir.path().join("bad.iso")).is_err(), "a wrong label must fail");
    let mut img = std::fs::read(out.join("nodes/node1/media/cidata.img")).unwrap();
    img[11..13].fill(0); // bytes per sector: 0
    std::fs::write(dir.path().join("bad.img"), &img).unwrap();
    assert!(fat_files(&dir.path().join("bad.img")).is_err(), "a broken boot sector must fail");
}

#[test]
fn media_are_deterministic() {
    let a = crate::support::build_fixture("homelab.kdl");
    let again = crate::support::hlc_in(a.path(), &["build", "homelab.kdl", "-o", "out2", "--state", "state"]);
    assert_eq!(again.status, 0, "{}", again.stderr);
    for image in ["cidata.iso", "cidata.img"] {
        let path = format!("nodes/node1/media/{image}");
        let first = std::fs::read(a.path().join("out").join(&path)).unwrap();
        assert_eq!(first, std::fs::read(a.path().join("out2").join(&path)).unwrap(), "{image}");
    }
}

#[test]
fn raspberry_pi_boot_files_are_the_seed() {
    let out = built("fixtures/valid/raspberry-pi.kdl").join("out");
    for node in nodes_of(&out) {
        for (name, bytes) in seed_of(&out, &node) {
            let copy = std::fs::read(out.join(format!("nodes/{node}/media/rpi-boot/{name}"))).unwrap();
            assert!(copy == bytes, "{node} rpi-boot/{name}");
        }
        let readme = std::fs::read_to_string(out.join(format!("nodes/{node}/media/rpi-boot/README.md"))).unwrap();
        assert!(readme.contains(hlc::render::media::PI_CMDLINE) && readme.contains("system-boot"));
    }
    let amd64 = built("homelab.kdl").join("out");
    assert!(tree_files(&amd64, "rpi-boot/user-data").is_empty(), "only arm64 nodes get Pi boot files");
}

/// Every autoinstall document passes subiquity's schema, installs onto the `use="os"` disk with
/// the node's netplan, and carries the node's own cloud-config; a broken one fails the schema.
#[test]
fn autoinstall_passes_subiquitys_schema_and_carries_the_seed() {
    let schema = root().join("tests/schemas/subiquity/autoinstall-schema.json").display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut documents = Vec::new();
    for input in valid_documents() {
        let out = built(&input).join("out");
        for path in tree_files(&out, "media/autoinstall/user-data") {
            let text = std::fs::read_to_string(out.join(&path)).unwrap();
            assert!(text.starts_with("#cloud-config\n"), "{path}");
            let document: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            let node = path.split('/').nth(1).unwrap();
            let seed: serde_yaml::Value =
                serde_yaml::from_slice(&std::fs::read(out.join(format!("nodes/{node}/nocloud/user-data"))).unwrap())
                    .unwrap();
            let network: serde_yaml::Value = serde_yaml::from_slice(
                &std::fs::read(out.join(format!("nodes/{node}/nocloud/network-config"))).unwrap(),
            )
            .unwrap();
            let autoinstall = &document["autoinstall"];
            assert_eq!(autoinstall["user-data"], seed, "{input} {path}: the node's own cloud-config");
            assert_eq!(autoinstall["network"], network["network"], "{input} {path}");
            let source = hlc::source::Source::load(&root().join(&input)).unwrap();
            let lab = hlc::frontend::check_source(&source).lab.unwrap();
            let model = lab.nodes.iter().find(|n| n.name.value == node).unwrap();
            let os_disk =
                model.disks.iter().find(|d| d.usage == hlc::model::DiskUse::Os).map(|d| d.path.value.as_str());
            let matched = autoinstall["storage"]["layout"]["match"]["path"].as_str();
            assert_eq!(matched, os_disk, "{input} {path}: installs onto the use=\"os\" disk");
            let file = dir.path().join(format!("{}.json", documents.len()));
            std::fs::write(&file, serde_json::to_string(autoinstall).unwrap()).unwrap();
            documents.push(file.display().to_string());
        }
    }
    assert!(documents.len() >= 8, "{}", documents.len());
    let mut args = vec!["--schemafile", schema.as_str()];
    args.extend(documents.iter().map(String::as_str));
    let (ok, text) = run_tool("check-jsonschema", &args, dir.path());
    assert!(ok, "{text}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"version": 1, "shutdown": "halt-and-catch-fire", "storage": []}"#).unwrap();
    let (ok, _) = run_tool("check-jsonschema", &["--schemafile", &schema, &bad.display().to_string()], dir.path());
    assert!(!ok, "an invalid autoinstall document must fail the schema");
}
