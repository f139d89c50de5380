//! Boot media per node (all secret: they carry the seed, which embeds keys and the token):
//! `media/cidata.iso` (ISO 9660 + Joliet, label `cidata`) and `media/cidata.img` (FAT, label
//! `CIDATA`), each holding the node's `user-data`, `meta-data` and `network-config` byte for
//! byte; on `arm64` nodes `media/rpi-boot/` (the same three files for a Raspberry Pi's boot
//! partition, and a README with the kernel command line); on Ubuntu nodes
//! `media/autoinstall/user-data` + `meta-data` for installing from the live-server ISO.

use std::io::{Cursor, Write};

use super::cloud_init::{meta_data_path, user_data_path};
use super::node_files::node_source;
use super::outputs::Output;
use crate::model::{Arch, Os, SourceId};
use crate::plan::reads::{LabReader, NodeRef};
use crate::plan::Need;
use crate::plan::RenderError;
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

/// The cloud-init NoCloud seed's files, in the order they are listed.
const SEED_FILES: [&str; 3] = ["user-data", "meta-data", "network-config"];
/// The kernel command-line addition a Raspberry Pi needs for Kubernetes.
pub const PI_CMDLINE: &str = "cgroup_enable=memory cgroup_memory=1";

/// `nodes/<node>/media/<file>`.
fn media_file(node: &NodeRef, file: &str) -> String {
    Output::MediaFile { node: node.name(), file }.path()
}

/// The seed steps of `node`, in `SEED_FILES` order.
fn seed_steps(node: &NodeRef) -> [String; 3] {
    [user_data_path(node), meta_data_path(node), super::netplan::path(node)]
}

pub fn register(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    for node in lab.nodes() {
        let node = &node;
        seed_image(plan, media_file(node, "cidata.iso"), node, |files| Ok(super::iso9660::image("cidata", files)));
        seed_image(plan, media_file(node, "cidata.img"), node, fat_image);
        if node.arch == Arch::Arm64 {
            for (name, step) in SEED_FILES.iter().zip(seed_steps(node)) {
                let secret = *name == "user-data";
                copy(plan, node, media_file(node, &format!("rpi-boot/{name}")), step, secret);
            }
            register_pi_readme(plan, node);
        }
        if matches!(lab.cluster().os, Os::Ubuntu2204 | Os::Ubuntu2404) {
            register_autoinstall(plan, node);
        }
    }
}

fn output(path: &str, secret: bool) -> Option<OutputFile> {
    Some(OutputFile { path: path.to_string(), secret, executable: false })
}

/// Makes an image from named files.
type MakeImage = fn(&[(&str, &[u8])]) -> Result<Vec<u8>, RenderError>;

/// An image step over the node's three seed files.
fn seed_image(plan: &mut PlanBuilder<'static>, path: String, node: &NodeRef, make: MakeImage) {
    let steps = seed_steps(node);
    plan.step(Step {
        id: path.clone(),
        output: output(&path, true),
        needs: steps.iter().cloned().map(Need::Step).collect(),
        produce: Box::new(move |_, inputs| {
            let mut files = Vec::new();
            for (name, step) in SEED_FILES.iter().zip(&steps) {
                files.push((*name, inputs.file(step)?));
            }
            make(&files).map(Product::File)
        }),
    });
}

/// A byte-for-byte copy of another step's file, made because of `node` (its arch decides the
/// copy exists).
fn copy(plan: &mut PlanBuilder<'static>, node: &NodeRef, path: String, from: String, secret: bool) {
    plan.step(Step {
        id: path.clone(),
        output: output(&path, secret),
        needs: vec![from.clone().into(), node_source(node)],
        produce: Box::new(move |_, inputs| Ok(Product::File(inputs.file(&from)?.to_vec()))),
    });
}

/// A FAT volume labelled `CIDATA` with the seed files in its root. Dates are FAT's epoch
/// (fatfs without a clock) and the volume id is fixed, so the same files give the same bytes.
pub fn fat_image(files: &[(&str, &[u8])]) -> Result<Vec<u8>, RenderError> {
    let content: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
    let size = (content / (1 << 20) + 2) << 20;
    let mut disk = Cursor::new(vec![0u8; size]);
    let options = fatfs::FormatVolumeOptions::new().volume_label(*b"CIDATA     ").volume_id(0x6863_6c00);
    fatfs::format_volume(&mut disk, options).map_err(|e| RenderError::Image(format!("FAT format: {e}")))?;
    {
        let fs = fatfs::FileSystem::new(&mut disk, fatfs::FsOptions::new())
            .map_err(|e| RenderError::Image(format!("FAT: {e}")))?;
        for (name, bytes) in files {
            let mut file =
                fs.root_dir().create_file(name).map_err(|e| RenderError::Image(format!("FAT {name}: {e}")))?;
            file.write_all(bytes).map_err(|e| RenderError::Image(format!("FAT {name}: {e}")))?;
        }
        fs.unmount().map_err(|e| RenderError::Image(format!("FAT unmount: {e}")))?;
    }
    Ok(disk.into_inner())
}

/// A public file made from the node's name alone (and the provenance header); `reason` is the
/// source whose value decides that it exists (it reads nothing else).
fn node_file(
    plan: &mut PlanBuilder<'static>,
    node: &NodeRef,
    reason: Need,
    path: String,
    make: fn(&str, &str) -> Result<Vec<u8>, RenderError>,
) {
    let name = node.name().to_string();
    plan.step(Step {
        id: path.clone(),
        output: output(&path, false),
        needs: vec![reason],
        produce: Box::new(move |_, inputs| make(&name, &inputs.provenance()).map(Product::File)),
    });
}

fn register_pi_readme(plan: &mut PlanBuilder<'static>, node: &NodeRef) {
    // The node's arch decides it exists.
    node_file(plan, node, node_source(node), media_file(node, "rpi-boot/README.md"), |name, provenance| {
        Ok(format!(
            "<!-- {provenance} -->\n# Raspberry Pi boot partition of {name}\n\n\
             For Ubuntu Server's preinstalled Raspberry Pi images (22.04, 24.04): after writing the\n\
             image to the SD card or SSD, mount its first partition (FAT, label `system-boot`; on the\n\
             running system `/boot/firmware`) and copy `user-data`, `meta-data` and `network-config`\n\
             from this directory over the files of the same names there. Then append, on the same\n\
             single line of `cmdline.txt` in that partition:\n\n    {PI_CMDLINE}\n\n\
             so the kernel boots with the memory cgroup Kubernetes needs. (If you skip that, the node's\n\
             converge adds it and reboots once before joining.)\n\n\
             Any other image with cloud-init (Debian's, Raspberry Pi OS): write `../cidata.img` to a\n\
             USB stick and leave it plugged in at first boot; cloud-init finds the `CIDATA` label.\n"
        )
        .into_bytes())
    });
}

/// Ubuntu autoinstall: the live-server installer puts the OS on the `use="os"` disk with the
/// node's network, and hands the node's own cloud-config to the installed system, which then
/// runs the same converge on its first boot.
fn register_autoinstall(plan: &mut PlanBuilder<'static>, node: &NodeRef) {
    let [user_data, _, network_config] = seed_steps(node);
    let name = node.name().to_string();
    let path = media_file(node, "autoinstall/user-data");
    plan.step(Step {
        id: path.clone(),
        output: output(&path, true),
        needs: vec![user_data.clone().into(), network_config.clone().into(), node_source(node)],
        produce: Box::new(move |context, inputs| {
            let node = &context.lab.node(&name);
            let parse = |step: &str| -> Result<serde_yaml::Value, RenderError> {
                serde_yaml::from_slice(inputs.file(step)?).map_err(RenderError::from)
            };
            let config = autoinstall(node, parse(&user_data)?, parse(&network_config)?["network"].clone());
            super::yaml::cloud_config(&inputs.provenance(), &config).map(Product::File)
        }),
    });
    // The cluster's OS decides it exists.
    node_file(plan, node, SourceId::Cluster.into(), media_file(node, "autoinstall/meta-data"), |name, provenance| {
        let meta = serde_json::json!({"instance-id": format!("{name}-autoinstall"), "local-hostname": name});
        super::yaml::document(provenance, &meta)
    });
}

fn autoinstall(node: &NodeRef, user_data: serde_yaml::Value, network: serde_yaml::Value) -> serde_json::Value {
    let disk = node.disks.iter().find(|d| d.usage == crate::model::DiskUse::Os).map(|d| d.path.value.clone());
    let layout = match disk {
        Some(path) => serde_json::json!({"name": "direct", "match": {"path": path}}),
        None => serde_json::json!({"name": "direct"}),
    };
    let mut autoinstall = serde_json::json!({
        "version": 1,
        "interactive-sections": [],
        "storage": {"layout": layout},
        "network": network,
        "ssh": {"install-server": true, "allow-pw": false},
    });
    // The installer installs from the lab's OS mirror too (curtin reads cloud-init's format).
    if let Some(apt) = user_data.get("apt") {
        autoinstall["apt"] = serde_json::to_value(apt).expect("YAML converts to JSON");
    }
    autoinstall["user-data"] = serde_json::to_value(&user_data).expect("YAML converts to JSON");
    autoinstall["shutdown"] = "reboot".into();
    serde_json::json!({"autoinstall": autoinstall})
}
