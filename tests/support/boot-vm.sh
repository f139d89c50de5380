#!/usr/bin/env bash
# boot-vm.sh OUT NODE [WORKDIR]: boots node NODE's NoCloud seed from the built tree OUT in a
# throw-away Debian 12 VM (qemu, TCG, no network beyond the VM) and prints a JSON report of what
# cloud-init and /etc/hlc/converge left on its disk, compared with the review tree.
# boot-vm.sh --inspect WORKDIR OUT NODE: only the comparison again, on the disk a boot left in
# WORKDIR (used by the test's negative control).
# boot-vm.sh --image: only builds (or finds) the cached image and prints its directory.
#
# The image is built once from Debian's packages with mmdebstrap (no loop mounts, no grub: the
# kernel boots directly) and cached at ${HLC_VM_CACHE:-$HOME/.cache/hlc-vm}/debian-12-<key>/,
# where <key> hashes the recipe below. Every boot uses a copy-on-write overlay in WORKDIR.
# Environment: HLC_VM_TIMEOUT (seconds for the whole boot, default 900), HLC_VM_MIRROR,
# HLC_VM_FETCH_ATTEMPTS (converge's attempts per network fetch in the VM, default 2), HLC_VM_MAC
# (boot with another MAC than the seed's).
# See tests/README.md, "Booting a seed in a VM".
# shellcheck disable=SC2016 # hooks and the guest's script expand later, elsewhere
set -euo pipefail

cache="${HLC_VM_CACHE:-$HOME/.cache/hlc-vm}"
mirror="${HLC_VM_MIRROR:-http://deb.debian.org/debian}"
timeout="${HLC_VM_TIMEOUT:-900}"
# converge's attempts per network fetch in the VM (HLC_FETCH_ATTEMPTS, handed to every process
# through systemd.setenv): offline, every attempt fails, and the seed's back-off would add minutes.
fetch_attempts="${HLC_VM_FETCH_ATTEMPTS:-2}"
# Debian's python3 (python3-yaml comes with cloud-init), not one of a version manager's on PATH
python=/usr/bin/python3
[ -x "$python" ] || python=python3
say() { printf 'boot-vm: %s\n' "$*" >&2; }
now() { date +%s.%N; }

# ---- the image recipe: everything here feeds the cache key ----
recipe_version=1
packages=(
    linux-image-amd64 initramfs-tools systemd systemd-sysv udev dbus
    cloud-init openssh-server sudo curl gpg ca-certificates xfsprogs e2fsprogs
    # bookworm's cloud images configure the network with netplan on systemd-networkd
    netplan.io systemd-resolved iproute2 kmod procps
    systemd-timesyncd locales python3-yaml
)
# The unit that, once cloud-init's last stage has ended (whatever its result), records what only
# the running system knows (addresses, sysctls, modules, swap) into /var/lib/hlc-vm on the disk,
# says so on the serial console and powers the VM off.
report_script='#!/bin/sh
d=/var/lib/hlc-vm
mkdir -p "$d"
ip -j addr >"$d/ip-addr.json" 2>&1
ip -j link >"$d/ip-link.json" 2>&1
ip -j route >"$d/ip-route.json" 2>&1
hostname >"$d/hostname" 2>&1
hostname -f >"$d/fqdn" 2>&1 || true
cat /proc/swaps >"$d/swaps" 2>&1
cat /proc/modules >"$d/modules" 2>&1
sysctl -a >"$d/sysctl" 2>/dev/null
cloud-init status --long >"$d/cloud-init-status" 2>&1; echo "$?" >"$d/cloud-init-status.rc"
systemctl --failed --no-legend --plain >"$d/failed-units" 2>&1
systemd-analyze >"$d/systemd-analyze" 2>&1 || true
journalctl -b --no-pager >"$d/journal" 2>&1
cat /proc/uptime >"$d/uptime"
sync
echo "HLC-VM-REPORT-DONE" >/dev/ttyS0
systemctl --no-block poweroff
'
report_unit='[Unit]
Description=hlc test VM: record the converged state and power off
After=cloud-final.service cloud-init.target multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/hlc-vm-report
[Install]
WantedBy=multi-user.target
'
cloud_cfg='# hlc test VM: the seed is the attached cidata disk
datasource_list: [NoCloud, None]
'
# The VM's clock is the host's (qemu's RTC), but with no network NTP never synchronises, and
# converge's clock step would wait minutes for it: this marks the kernel clock synchronised
# (adjtimex: status 0, max error 0) before cloud-init's final stage runs converge.
clock_unit='[Unit]
Description=hlc test VM: the clock comes from the host, mark it synchronised
DefaultDependencies=no
Before=cloud-final.service sysinit.target
[Service]
Type=oneshot
ExecStart=/usr/bin/python3 -c "import ctypes; b = ctypes.create_string_buffer(256); ctypes.c_uint.from_buffer(b, 0).value = 0x1c; ctypes.CDLL(None, use_errno=True).adjtimex(b)"
[Install]
WantedBy=sysinit.target
'

build_image() {
    if [ -f "$image/done" ]; then return 0; fi
    local start tmp
    start="$(now)"
    mkdir -p "$cache"
    tmp="$(mktemp -d "$cache/.build.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" RETURN
    say "building the Debian 12 image $image (once; several minutes)"
    local include
    include="$(IFS=,; echo "${packages[*]}")"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    # root mode into a directory: mke2fs -d then copies it, owners and modes included.
    printf '%s' "$report_script" >"$tmp/hlc-vm-report"
    printf '%s' "$report_unit" >"$tmp/hlc-vm-report.service"
    printf '%s' "$cloud_cfg" >"$tmp/90-hlc-vm.cfg"
    printf '%s' "$clock_unit" >"$tmp/hlc-vm-clock.service"
    # root mode into a directory: mke2fs -d then copies it, owners and modes included.
    $sudo mmdebstrap --mode=root --variant=minbase --include="$include" \
        --aptopt='Acquire::Retries "3"' \
        --customize-hook='echo localhost >"$1/etc/hostname"' \
        --customize-hook='printf "/dev/vda / ext4 defaults 0 1\n" >"$1/etc/fstab"' \
        --customize-hook="upload $tmp/90-hlc-vm.cfg /etc/cloud/cloud.cfg.d/90-hlc-vm.cfg" \
        --customize-hook="upload $tmp/hlc-vm-report /usr/local/sbin/hlc-vm-report" \
        --customize-hook='chmod 0755 "$1/usr/local/sbin/hlc-vm-report"' \
        --customize-hook="upload $tmp/hlc-vm-report.service /etc/systemd/system/hlc-vm-report.service" \
        --customize-hook="upload $tmp/hlc-vm-clock.service /etc/systemd/system/hlc-vm-clock.service" \
        --customize-hook='chroot "$1" systemctl enable hlc-vm-report.service hlc-vm-clock.service systemd-networkd.service' \
        --customize-hook='sed -i "s/^hosts:.*/hosts: files/" "$1/etc/nsswitch.conf"' \
        --customize-hook='rm -f "$1/etc/machine-id" && touch "$1/etc/machine-id"' \
        --customize-hook='rm -f "$1/etc/apt/apt.conf.d/99mmdebstrap"' \
        --customize-hook='sed -i "s/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/" "$1/etc/locale.gen" && chroot "$1" locale-gen' \
        bookworm "$tmp/root" \
        "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
        "deb ${mirror%/debian}/debian-security bookworm-security main" >&2
    $sudo cp "$tmp/root/boot/vmlinuz-"* "$tmp/vmlinuz"
    $sudo cp "$tmp/root/boot/initrd.img-"* "$tmp/initrd.img"
    $sudo chmod 0644 "$tmp/vmlinuz" "$tmp/initrd.img"
    $sudo mke2fs -q -t ext4 -L root -d "$tmp/root" -F "$tmp/root.raw" 4G
    $sudo chown "$(id -u):$(id -g)" "$tmp/root.raw"
    $sudo rm -rf "$tmp/root"
    printf '%s\n' "$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }')" >"$tmp/build-seconds"
    rm -rf "$image"
    mv "$tmp" "$image"
    # images of older recipes are never used again
    find "$cache" -maxdepth 1 -name 'debian-12-*' ! -path "$image" -exec rm -rf {} +
    touch "$image/done"
    say "image built in $(cat "$image/build-seconds") s"
}

key="$(printf '%s\n' "$recipe_version" "$mirror" "${packages[@]}" "$report_script" "$report_unit" "$cloud_cfg" "$clock_unit" \
    "$(declare -f build_image)" | sha256sum | cut -c1-12)"
image="$cache/debian-12-$key"

# build_image under a lock: concurrent runs (CI and a developer) build one image, never two at once
locked_build_image() {
    mkdir -p "$cache"
    (
        flock 9
        build_image
    ) 9>"$cache/.lock"
}

# the node's cidata image: OUT/nodes/NODE/media/cidata.iso when hlc wrote one, else built here.
cidata() {
    local out="$1" node="$2" work="$3"
    if [ -f "$out/nodes/$node/media/cidata.iso" ]; then
        echo "$out/nodes/$node/media/cidata.iso"
        return
    fi
    xorriso -as mkisofs -quiet -J -R -V cidata -o "$work/cidata.iso" \
        "$out/nodes/$node/nocloud/user-data" "$out/nodes/$node/nocloud/meta-data" \
        "$out/nodes/$node/nocloud/network-config" >&2
    echo "$work/cidata.iso"
}

# the MAC of the node's first NIC, from its network-config
node_mac() {
    "$python" - "$1" <<'EOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for nic in doc["network"]["ethernets"].values():
    mac = nic.get("match", {}).get("macaddress")
    if mac is not None:
        print(str(mac))
        break
EOF
}

qemu_pid=""
stop_qemu() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    qemu_pid=""
}

boot() {
    local out="$1" node="$2" work="$3"
    local iso mac start login="" done_at="" end timed_out=false
    iso="$(cidata "$out" "$node" "$work")"
    mac="${HLC_VM_MAC:-$(node_mac "$out/nodes/$node/nocloud/network-config")}"
    say "booting $node (MAC $mac) with $iso"
    rm -f "$work/overlay.qcow2" "$work/disk.raw" "$work/serial.log"
    printf '{"image": "%s", "cidata": "%s", "mac": "%s", "fetch_attempts": %s}\n' \
        "$image" "$iso" "$mac" "$fetch_attempts" >"$work/vm.json"
    qemu-img create -q -f qcow2 -F raw -b "$image/root.raw" "$work/overlay.qcow2"
    trap stop_qemu EXIT INT TERM
    start="$(now)"
    qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2048 \
        -nodefaults -display none -no-reboot \
        -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
        -append "root=/dev/vda rw console=ttyS0,115200 panic=-1 systemd.setenv=HLC_FETCH_ATTEMPTS=$fetch_attempts" \
        -drive "file=$work/overlay.qcow2,format=qcow2,if=virtio" \
        -drive "file=$iso,format=raw,if=virtio,readonly=on" \
        -nic "user,restrict=on,model=virtio-net-pci,mac=$mac" \
        -serial "file:$work/serial.log" &
    qemu_pid=$!
    echo "$qemu_pid" >"$work/qemu.pid"
    local deadline=$(($(date +%s) + timeout))
    while kill -0 "$qemu_pid" 2>/dev/null; do
        if [ -z "$login" ] && grep -q 'login:' "$work/serial.log" 2>/dev/null; then
            login="$(now)"
            say "login prompt after $(awk -v s="$start" -v e="$login" 'BEGIN { printf "%.0f", e - s }') s"
        fi
        if [ -z "$done_at" ] && grep -q '^HLC-VM-REPORT-DONE' "$work/serial.log" 2>/dev/null; then
            done_at="$(now)"
            say "report written after $(awk -v s="$start" -v e="$done_at" 'BEGIN { printf "%.0f", e - s }') s; powering off"
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            say "timeout after ${timeout} s: stopping the VM (serial log: $work/serial.log)"
            timed_out=true
            stop_qemu
            break
        fi
        sleep 2
    done
    wait "$qemu_pid" 2>/dev/null || true
    qemu_pid=""
    trap - EXIT INT TERM
    end="$(now)"
    qemu-img convert -O raw "$work/overlay.qcow2" "$work/disk.raw"
    awk -v s="$start" -v l="${login:-}" -v d="${done_at:-}" -v e="$end" -v t="$timed_out" 'BEGIN {
        printf "{\"boot_to_login\": %s, \"boot_to_report\": %s, \"boot_to_poweroff\": %.1f, \"timed_out\": %s}\n",
            (l == "" ? "null" : sprintf("%.1f", l - s)), (d == "" ? "null" : sprintf("%.1f", d - s)), e - s, t }' \
        >"$work/timing.json"
    [ "$timed_out" = false ]
}

# inspect WORKDIR OUT NODE: reads the powered-off disk with debugfs (no mount) and prints the
# JSON report. Every file the user-data's write_files lists is compared, mode and owner and bytes,
# with the user-data and with its copy in the review tree (OUT/nodes/NODE/<path>, OUT/pki/…,
# OUT/kubeconfig/…).
inspect() {
    local work="$1" out="$2" node="$3"
    "$python" - "$work" "$out" "$node" "$image" <<'EOF'
import base64, gzip, hashlib, json, os, re, subprocess, sys
import yaml

work, out, node, image = sys.argv[1:5]
disk = os.path.join(work, "disk.raw")
seed = os.path.join(out, "nodes", node, "nocloud")
mismatches = []


def debugfs(command):
    run = subprocess.run(["debugfs", "-R", command, disk], capture_output=True)
    return run.stdout, run.stderr.decode(errors="replace")


def stat(path):
    text, err = debugfs(f'stat "{path}"')
    text = text.decode(errors="replace")
    mode = re.search(r"Mode:\s+(\d+)", text)
    owner = re.search(r"User:\s+(\d+)\s+Group:\s+(\d+)", text)
    kind = re.search(r"Type:\s+(\w+)", text)
    if not mode or not owner:
        return None
    return {"mode": "%04o" % (int(mode.group(1), 8) & 0o7777), "uid": int(owner.group(1)),
            "gid": int(owner.group(2)), "type": kind.group(1) if kind else None}


def cat(path):
    if stat(path) is None:
        return None
    data, _ = debugfs(f'cat "{path}"')
    return data


def text(path):
    data = cat(path)
    return None if data is None else data.decode(errors="replace")


def sha(data):
    return None if data is None else hashlib.sha256(data).hexdigest()


def load_json(path):
    data = cat(path)
    try:
        return None if data is None else json.loads(data)
    except ValueError:
        return {"unparsable": data.decode(errors="replace")}


names = {}
for table in ("passwd", "group"):
    names[table] = {}
    for line in (text(f"/etc/{table}") or "").splitlines():
        fields = line.split(":")
        if len(fields) > 3:
            names[table][int(fields[2])] = fields[0]

user_data = yaml.safe_load(open(os.path.join(seed, "user-data"), "rb"))
network_config = yaml.safe_load(open(os.path.join(seed, "network-config"), "rb"))
meta_data = yaml.safe_load(open(os.path.join(seed, "meta-data"), "rb"))


def review_path(path):
    rel = path.lstrip("/")
    candidates = [os.path.join("nodes", node, rel)]
    if rel.startswith("etc/kubernetes/hlc/") and rel.endswith(".yaml"):
        candidates.append(os.path.join("nodes", node, "kubeadm", os.path.basename(rel)))
    if rel.startswith("etc/kubernetes/pki/"):
        candidates.append(os.path.join("pki", rel[len("etc/kubernetes/pki/"):]))
    if rel.startswith("etc/kubernetes/") and rel.endswith(".conf"):
        candidates.append(os.path.join("kubeconfig", os.path.basename(rel)))
    for candidate in candidates:
        if os.path.isfile(os.path.join(out, candidate)):
            return candidate
    return None


def decode(entry):
    content = entry.get("content", "")
    content = content.encode() if isinstance(content, str) else bytes(content)
    encoding = str(entry.get("encoding", "")).lower()
    if encoding in ("b64", "base64"):
        content = base64.b64decode(content)
    elif encoding in ("gz+b64", "gzip+base64", "gz+base64", "gzip+b64"):
        content = gzip.decompress(base64.b64decode(content))
    elif encoding in ("gz", "gzip"):
        content = gzip.decompress(content)
    return content


files = []
for entry in user_data.get("write_files") or []:
    path = entry["path"]
    expected = decode(entry)
    owner = str(entry.get("owner", "root:root"))
    mode = "%04o" % int(str(entry.get("permissions", "0644")), 8)
    st = stat(path)
    data = cat(path) if st else None
    review = review_path(path)
    review_data = open(os.path.join(out, review), "rb").read() if review else None
    disk_owner = None if st is None else "%s:%s" % (names["passwd"].get(st["uid"], st["uid"]),
                                                   names["group"].get(st["gid"], st["gid"]))
    if entry.get("append"):
        matches = data is not None and data.endswith(expected)
    else:
        matches = data == expected
    record = {
        "path": path, "present": st is not None,
        "mode": st and st["mode"], "expected_mode": mode,
        "owner": disk_owner, "expected_owner": owner,
        "sha256": sha(data), "matches_user_data": matches,
        "review": review, "matches_review": None if review is None else data == review_data,
    }
    files.append(record)
    if st is None:
        mismatches.append(f"{path}: not on the disk")
        continue
    if record["mode"] != mode:
        mismatches.append(f"{path}: mode {record['mode']}, user-data says {mode}")
    if disk_owner != owner:
        mismatches.append(f"{path}: owner {disk_owner}, user-data says {owner}")
    if not matches:
        mismatches.append(f"{path}: bytes on the disk differ from the user-data's content")
    if review is None:
        mismatches.append(f"{path}: no copy in the review tree")
    elif not record["matches_review"]:
        mismatches.append(f"{path}: bytes on the disk differ from the review tree's {review}")

# the NIC matched by MAC
mac = None
for name, nic in (network_config.get("network", {}).get("ethernets") or {}).items():
    mac = (nic.get("match") or {}).get("macaddress")
    expected_name = nic.get("set-name", name)
    expected_addresses = nic.get("addresses") or []
    break
ip_addr = load_json("/var/lib/hlc-vm/ip-addr.json") or []
interface = None
if mac is not None and isinstance(ip_addr, list):
    for link in ip_addr:
        if str(link.get("address", "")).lower() == str(mac).lower():
            interface = {
                "ifname": link.get("ifname"), "operstate": link.get("operstate"),
                "addresses": ["%s/%s" % (a["local"], a["prefixlen"]) for a in link.get("addr_info", [])
                              if a.get("family") == "inet"],
            }
network = {"mac": mac if mac is None else str(mac), "mac_yaml_type": type(mac).__name__,
           "expected_name": expected_name if mac is not None else None,
           "expected_addresses": expected_addresses if mac is not None else [],
           "interface": interface, "ip_addr": ip_addr, "routes": load_json("/var/lib/hlc-vm/ip-route.json"),
           "netplan": text("/etc/netplan/50-cloud-init.yaml")}
if interface is None:
    mismatches.append(f"no interface with MAC {mac}")
else:
    for address in network["expected_addresses"]:
        if address not in interface["addresses"]:
            mismatches.append(f"{interface['ifname']}: no address {address} (has {interface['addresses']})")
    if interface["ifname"] != network["expected_name"]:
        mismatches.append(f"interface is named {interface['ifname']}, not {network['expected_name']}")

# sysctls and modules the seed's files ask for, against the running system's
running = {}
for line in (text("/var/lib/hlc-vm/sysctl") or "").splitlines():
    key, _, value = line.partition(" = ")
    running[key.strip()] = value.strip()
sysctls, modules = {}, {}
loaded = {line.split()[0] for line in (text("/var/lib/hlc-vm/modules") or "").splitlines() if line.strip()}
for entry in user_data.get("write_files") or []:
    if entry["path"].startswith("/etc/sysctl.d/"):
        for line in decode(entry).decode().splitlines():
            if "=" in line and not line.lstrip().startswith(("#", ";")):
                key, value = (part.strip() for part in line.split("=", 1))
                sysctls[key] = {"expected": value, "running": running.get(key)}
                if running.get(key) != value:
                    mismatches.append(f"sysctl {key} = {running.get(key)}, expected {value}")
    if entry["path"].startswith("/etc/modules-load.d/"):
        for line in decode(entry).decode().splitlines():
            if line.strip() and not line.lstrip().startswith(("#", ";")):
                modules[line.strip()] = line.strip() in loaded
                if line.strip() not in loaded:
                    mismatches.append(f"module {line.strip()} not loaded")
swaps = [line for line in (text("/var/lib/hlc-vm/swaps") or "").splitlines()[1:] if line.strip()]

# users: the ones the user-data lists (the distribution's default user for "default") and their keys
users = []
passwd = [line.split(":") for line in (text("/etc/passwd") or "").splitlines() if line.count(":") >= 6]
groups = [line.split(":") for line in (text("/etc/group") or "").splitlines() if line.count(":") >= 3]
for fields in passwd:
    if int(fields[2]) >= 1000 and fields[0] != "nobody":
        keys = text(os.path.join(fields[5], ".ssh/authorized_keys"))
        users.append({"name": fields[0], "uid": int(fields[2]), "shell": fields[6], "home": fields[5],
                      "groups": sorted(g[0] for g in groups if fields[0] in g[3].split(",")),
                      "authorized_keys": None if keys is None else [k for k in keys.splitlines() if k.strip()]})
root_keys = text("/root/.ssh/authorized_keys")
for wanted in user_data.get("users") or []:
    if not isinstance(wanted, dict):
        continue  # "default": the image's default user
    have = next((u for u in users if u["name"] == wanted.get("name")), None)
    if have is None:
        mismatches.append(f"user {wanted.get('name')} missing")
        continue
    for key in wanted.get("ssh_authorized_keys") or []:
        if key not in (have["authorized_keys"] or []):
            mismatches.append(f"user {wanted.get('name')}: key {key[:40]}... not in authorized_keys")

# cloud-init's own account
status = load_json("/var/lib/cloud/data/status.json") or {}
result = load_json("/var/lib/cloud/data/result.json")
stages = {}
starts, ends = [], []
for stage, value in (status.get("v1") or {}).items():
    if isinstance(value, dict) and "errors" in value:
        stages[stage] = {"errors": value.get("errors"), "start": value.get("start"), "finished": value.get("finished")}
        if value.get("start"):
            starts.append(value["start"])
        if value.get("finished"):
            ends.append(value["finished"])
log = text("/var/log/cloud-init.log") or ""
failed_modules = sorted(set(re.findall(r"Running module (\S+) \(.*\) failed", log)))
warnings = [line for line in log.splitlines() if re.search(r"\[(WARNING|ERROR|CRITICAL)\]", line)]
output_log = (text("/var/log/cloud-init-output.log") or "").splitlines()
converge_log = (text("/var/log/hlc-converge.log") or "").splitlines()
failed_step = None
for line in converge_log:
    found = re.search(r"step '([^']+)' FAILED", line)
    if found:
        failed_step = found.group(1)
done_steps = [m.group(1) for m in (re.search(r"step '([^']+)': done", l) for l in converge_log) if m]

try:
    timing = json.load(open(os.path.join(work, "timing.json")))
except (OSError, ValueError):
    timing = {}
try:
    timing["image_build"] = float(open(os.path.join(image, "build-seconds")).read())
except (OSError, ValueError):
    timing["image_build"] = None
timing["cloud_init"] = round(max(ends) - min(starts), 1) if starts and ends else None
uptime = text("/var/lib/hlc-vm/uptime")
timing["guest_uptime_at_report"] = float(uptime.split()[0]) if uptime else None

try:
    vm = json.load(open(os.path.join(work, "vm.json")))
except (OSError, ValueError):
    vm = None
report = {
    "node": node,
    "vm": vm,
    "instance_id": (text("/var/lib/cloud/data/instance-id") or "").strip(),
    "expected_instance_id": meta_data.get("instance-id"),
    "timing": timing,
    "cloud_init": {
        "status_long": text("/var/lib/hlc-vm/cloud-init-status"),
        "status_exit": (text("/var/lib/hlc-vm/cloud-init-status.rc") or "").strip(),
        "result": result, "stages": stages, "failed_modules": failed_modules,
        "log_warnings": warnings, "output_tail": output_log[-40:],
    },
    "hostname": (text("/var/lib/hlc-vm/hostname") or "").strip(),
    "fqdn": (text("/var/lib/hlc-vm/fqdn") or "").strip(),
    "etc_hostname": (text("/etc/hostname") or "").strip(),
    "etc_hosts": text("/etc/hosts"),
    "expected_hostname": user_data.get("hostname"),
    "users": users, "root_authorized_keys": root_keys,
    "sudoers": text("/etc/sudoers.d/90-cloud-init-users"),
    "files": files,
    "network": network,
    "sysctls": sysctls, "modules": modules, "swaps": swaps, "fstab": text("/etc/fstab"),
    "timezone": text("/etc/timezone"),
    "converge": {"log": converge_log, "steps_done": done_steps, "failed_step": failed_step,
                 "mode": (stat("/etc/hlc/converge") or {}).get("mode")},
    "failed_units": text("/var/lib/hlc-vm/failed-units"),
    "mismatches": mismatches,
}
json.dump(report, sys.stdout, indent=1)
print()
EOF
}

case "${1:-}" in
--image)
    locked_build_image >&2 # its tools talk on stdout; stdout is the report
    echo "$image"
    ;;
--inspect)
    [ $# -eq 4 ] || { echo "usage: $0 --inspect WORKDIR OUT NODE" >&2; exit 2; }
    inspect "$(realpath "$2")" "$(realpath "$3")" "$4"
    ;;
-* | "")
    echo "usage: $0 OUT NODE [WORKDIR] | --inspect WORKDIR OUT NODE | --image" >&2
    exit 2
    ;;
*)
    [ $# -ge 2 ] || { echo "usage: $0 OUT NODE [WORKDIR]" >&2; exit 2; }
    out="$(realpath "$1")"
    node="$2"
    [ -f "$out/nodes/$node/nocloud/user-data" ] || { echo "boot-vm: no seed for $node in $out" >&2; exit 2; }
    work="${3:-$(mktemp -d "${TMPDIR:-/tmp}/hlc-vm.XXXXXX")}"
    mkdir -p "$work"
    work="$(realpath "$work")"
    locked_build_image >&2 # its tools talk on stdout; stdout is the report
    status=0
    boot "$out" "$node" "$work" || status=3
    inspect "$work" "$out" "$node"
    exit "$status"
    ;;
esac
