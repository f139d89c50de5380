# ---- the converge library: the same on every node; the node's facts are above, its steps below ----
#
# Every path is under ${HLC_ROOT:-} so the script runs on a fake root in tests; every program is
# called by name through PATH. Each step logs its name; a failing step ends the run with a
# non-zero status naming it, which cloud-init reports (`cloud-init status --long`).

readonly ROOT="${HLC_ROOT:-}"
readonly LOG="$ROOT/var/log/hlc-converge.log"
readonly APPLIED="$ROOT/var/lib/hlc/applied"
readonly RESUME_HOOK="$ROOT/var/lib/cloud/scripts/per-boot/hlc-converge"
readonly RUN_DIR="$ROOT/run/hlc"
readonly APT_LOCK_TIMEOUT="${HLC_APT_LOCK_TIMEOUT:-600}"
readonly FETCH_ATTEMPTS="${HLC_FETCH_ATTEMPTS:-8}"
readonly INIT_PROBES="${HLC_INIT_PROBES:-6}"
readonly CLOCK_ATTEMPTS="${HLC_CLOCK_ATTEMPTS:-30}"
readonly MEMBER="$ROOT/var/lib/hlc/member"
readonly WAIT_ATTEMPTS="${HLC_WAIT_ATTEMPTS:-180}"
readonly WAIT_INTERVAL=10
CURRENT_STEP="start"

log() {
    local line
    line="$(date -u +%Y-%m-%dT%H:%M:%SZ) hlc-converge[$NODE]: $*"
    printf '%s\n' "$line" >&2
    printf '%s\n' "$line" >>"$LOG"
    if command -v logger >/dev/null 2>&1; then
        logger -t hlc-converge -- "$*" || true
    fi
}

on_exit() {
    local status=$?
    rm -rf "$RUN_DIR"
    if [ "$status" -ne 0 ]; then
        log "step '$CURRENT_STEP' FAILED (exit status $status)"
    fi
    exit "$status"
}

# step NAME FUNCTION [ARGS...]: runs one idempotent step, logging its start and end.
step() {
    CURRENT_STEP="$1"
    shift
    log "step '$CURRENT_STEP': start"
    "$@"
    log "step '$CURRENT_STEP': done"
}

# retry WHAT COMMAND [ARGS...]: network fetches and apt runs, with back-off (5, 10, 20, 40, 60,
# 60 … s; about five minutes in all, long enough for first-boot apt-daily to let go of the lists).
retry() {
    local what="$1" attempt=1 delay=5
    shift
    until "$@"; do
        if [ "$attempt" -ge "$FETCH_ATTEMPTS" ]; then
            log "$what: failed $attempt times, giving up"
            return 1
        fi
        log "$what: attempt $attempt failed, retrying in ${delay}s"
        sleep "$delay"
        attempt=$((attempt + 1))
        delay=$((delay * 2 > 60 ? 60 : delay * 2))
    done
}

# Every apt call waits for the package manager's lock (first-boot unattended-upgrades holds it).
apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -q -y -o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT" \
        -o Dpkg::Options::=--force-confold "$@"
}

apt_mark() {
    apt-mark -o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT" "$@" >/dev/null
}

# installed_version PACKAGE: the installed version, or nothing.
# installed_version PACKAGE: the installed version (held or not), or nothing.
installed_version() {
    { dpkg-query -W -f='${db:Status-Status} ${Version}\n' "$1" 2>/dev/null || true; } | sed -n 's/^installed //p'
}

# apt_install ARGS...: `apt-get update` (when not yet done, failing on any fetch error rather
# than warning) and `apt-get install`, retried together: a failed install updates again.
APT_UPDATED=0
apt_install() {
    retry "apt-get install $*" apt_update_and_install "$@"
}

apt_update_and_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        apt_get update --error-on=any || return 1
        APT_UPDATED=1
    fi
    if ! apt_get install --no-install-recommends "$@"; then
        APT_UPDATED=0
        return 1
    fi
}

# ---- what was applied: a digest per managed file, so a re-run restarts only what changed ----

digest_of() {
    sha256sum "$ROOT$1" | cut -d' ' -f1
}

record_of() {
    printf '%s/%s' "$APPLIED" "$(printf '%s' "$1" | tr '/' '_')"
}

# changed PATH: whether the file differs from what was last applied (or was never applied).
changed() {
    local record
    record="$(record_of "$1")"
    [ ! -f "$record" ] || [ "$(cat "$record")" != "$(digest_of "$1")" ]
}

mark_applied() {
    mkdir -p "$APPLIED"
    digest_of "$1" >"$(record_of "$1")"
}

# restart_if_changed PATH SERVICE ACTION: `systemctl ACTION SERVICE` when PATH changed.
restart_if_changed() {
    if changed "$1"; then
        log "$1 changed: $2 $3"
        systemctl "$3" "$2"
        mark_applied "$1"
    fi
}

# ---- membership ----

# A member: kubeadm's own kubelet config is there (never a file the seed writes) and converge
# recorded that `kubeadm init`/`join` succeeded; kubeadm writes config.yaml before it waits for
# the control plane, so config.yaml alone would make a failed join look like a member.
is_member() {
    [ -f "$ROOT/var/lib/kubelet/config.yaml" ] && [ -f "$MEMBER" ]
}

answers() {
    curl -ksf --max-time 5 "https://$1/livez" >/dev/null 2>&1
}

# Whether a cluster already answers, at the endpoint or at any other control plane, probed
# INIT_PROBES times 10 s apart: one missed probe must not create a second cluster.
cluster_answers() {
    local server probe=1
    while true; do
        for server in "$ENDPOINT" "${OTHER_CONTROL_PLANES[@]}"; do
            if answers "$server"; then
                log "a control plane answers at https://$server/livez"
                return 0
            fi
        done
        if [ "$probe" -ge "$INIT_PROBES" ]; then
            return 1
        fi
        log "no control plane answers yet (probe $probe of $INIT_PROBES)"
        sleep "$WAIT_INTERVAL"
        probe=$((probe + 1))
    done
}

wait_for_endpoint() {
    if ! wait_until "the control plane at https://$ENDPOINT/livez" answers "$ENDPOINT"; then
        log "nothing answers at https://$ENDPOINT/livez: boot the first control plane ($INIT_NODE) first"
        return 1
    fi
}

# wait_until WHAT CHECK...: runs CHECK every WAIT_INTERVAL seconds, WAIT_ATTEMPTS times at most.
wait_until() {
    local what="$1" attempt=1
    shift
    until "$@"; do
        if [ "$attempt" -ge "$WAIT_ATTEMPTS" ]; then
            log "gave up waiting for $what after $attempt checks"
            return 1
        fi
        log "waiting for $what (check $attempt of $WAIT_ATTEMPTS)"
        sleep "$WAIT_INTERVAL"
        attempt=$((attempt + 1))
    done
}

# fill_kubeadm_config SOURCE: the config with the bootstrap token filled in, at $KUBEADM_RUN
# (0600 under /run/hlc, removed on exit). The token never appears on a command line.
readonly KUBEADM_RUN="$RUN_DIR/kubeadm.yaml"
fill_kubeadm_config() {
    local token config
    mkdir -p "$RUN_DIR"
    chmod 0700 "$RUN_DIR"
    read -r token <"$ROOT$TOKEN_FILE"
    if [ -z "$token" ]; then
        log "$TOKEN_FILE is empty"
        return 1
    fi
    config="$(<"$ROOT$1")"
    (umask 077 && printf '%s\n' "${config//@HLC_BOOTSTRAP_TOKEN@/$token}" >"$KUBEADM_RUN")
}

# ---- steps shared by every node ----

load_modules() {
    local module
    for module in "${MODULES[@]}"; do
        modprobe "$module"
    done
}

apply_sysctls() {
    sysctl -q -p "$ROOT$SYSCTL_FILE" >/dev/null
}

disable_swap() {
    swapoff -a
    if [ -f "$ROOT/etc/fstab" ] && grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' "$ROOT/etc/fstab"; then
        sed -ri '/\sswap\s/s/^#?/#/' "$ROOT/etc/fstab"
        log "swap entries in /etc/fstab commented out"
    fi
}

# Raspberry Pi kernels boot with the memory cgroup off; kubeadm's preflight then fails.
ensure_memory_cgroup() {
    local cmdline="$ROOT/boot/firmware/cmdline.txt"
    if grep -qw memory "$ROOT/sys/fs/cgroup/cgroup.controllers" 2>/dev/null; then
        return 0
    fi
    if ! grep -q 'Raspberry Pi' "$ROOT/proc/device-tree/model" 2>/dev/null; then
        log "the memory cgroup controller is not enabled and this is not a Raspberry Pi: enable it on the kernel command line"
        return 1
    fi
    # Ubuntu and Raspberry Pi OS from bookworm on: /boot/firmware; older images: /boot.
    [ -f "$cmdline" ] || cmdline="$ROOT/boot/cmdline.txt"
    if [ ! -f "$cmdline" ]; then
        log "no cmdline.txt in /boot/firmware or /boot"
        return 1
    fi
    if grep -qw 'cgroup_enable=memory' "$cmdline"; then
        log "$cmdline enables the memory cgroup but the running kernel does not have it: reboot"
        return 1
    fi
    sed -i '1 s/$/ cgroup_enable=memory cgroup_memory=1/' "$cmdline"
    if [ "$OS_FAMILY" = debian ]; then
        # Debian's raspi-firmware rewrites cmdline.txt on kernel updates; this file persists.
        mkdir -p "$ROOT/etc/default"
        printf '%s\n' 'cgroup_enable=memory cgroup_memory=1' >>"$ROOT/etc/default/raspi-extra-cmdline"
    fi
    mkdir -p "$(dirname "$RESUME_HOOK")"
    printf '#!/bin/sh\n# hlc: finish converging after the reboot that enabled the memory cgroup\nexec /etc/hlc/converge\n' >"$RESUME_HOOK"
    chmod 0755 "$RESUME_HOOK"
    log "added the memory cgroup to $cmdline; rebooting, converge continues after the reboot"
    systemctl --no-block reboot
    exit 0
}

# Certificates (the seed's and the apt repositories') need a set clock; a Raspberry Pi has no
# battery-backed one. Wait for NTP a while, then go on with a warning.
wait_for_clock() {
    local attempt=1
    until [ "$(timedatectl show -p NTPSynchronized --value 2>/dev/null || true)" = yes ]; do
        if [ "$attempt" -ge "$CLOCK_ATTEMPTS" ]; then
            log "the clock is not NTP-synchronised after $attempt checks: going on (TLS may fail if it is wrong)"
            return 0
        fi
        sleep "$WAIT_INTERVAL"
        attempt=$((attempt + 1))
    done
}

install_distribution_packages() {
    local package missing=()
    for package in "${DISTRIBUTION_PACKAGES[@]}"; do
        [ -n "$(installed_version "$package")" ] || missing+=("$package")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    log "installing ${missing[*]}"
    apt_install "${missing[@]}"
}

# add_repository NAME KEY_URL LINE: an apt source and its key, rewritten only when they differ.
add_repository() {
    local list="$ROOT/etc/apt/sources.list.d/$1.list" keyring="$ROOT/etc/apt/keyrings/$1.gpg"
    local line="deb [signed-by=/etc/apt/keyrings/$1.gpg] $3"
    if [ -s "$keyring" ] && [ -f "$list" ] && [ "$(cat "$list")" = "$line" ]; then
        return 0
    fi
    mkdir -p "$ROOT/etc/apt/keyrings" "$ROOT/etc/apt/sources.list.d"
    chmod 0755 "$ROOT/etc/apt/keyrings"
    mkdir -p "$RUN_DIR"
    retry "download of $2" curl -fsSL --max-time 60 -o "$RUN_DIR/$1.key" "$2"
    gpg --dearmor --yes -o "$keyring" "$RUN_DIR/$1.key"
    chmod 0644 "$keyring"
    printf '%s\n' "$line" >"$list"
    APT_UPDATED=0
    log "apt repository $1: $3"
}

# Kubernetes packages at the pinned version on a node that is not a member yet. A member on
# another version keeps it here: the upgrade step (after membership) moves it in kubeadm's order,
# and with it containerd and the containerd config.
install_kubernetes_packages() {
    local package installed wanted=() held=()
    for package in kubelet kubeadm kubectl; do
        installed="$(installed_version "$package")"
        case "$installed" in
        "$KUBERNETES_VERSION"-*) ;;
        "")
            wanted+=("$package=$KUBERNETES_VERSION-*")
            ;;
        *)
            if is_member; then
                log "upgrade pending: $package $installed is installed, the seed pins $KUBERNETES_VERSION (the upgrade step moves it)"
            else
                held+=("$package")
                wanted+=("$package=$KUBERNETES_VERSION-*")
            fi
            ;;
        esac
    done
    # containerd 2 goes in right away, also on a member: the seed already wrote its schema-3
    # config, which containerd 1.7.17+ refuses to start with (running pods survive the swap).
    if [ -n "$CONTAINERD_PACKAGE" ] && [ -z "$(installed_version "${CONTAINERD_PACKAGE%%=*}")" ]; then
        wanted+=("$CONTAINERD_PACKAGE")
    fi
    if [ "${#wanted[@]}" -eq 0 ]; then
        return 0
    fi
    log "installing ${wanted[*]}"
    if [ "${#held[@]}" -gt 0 ]; then
        apt_mark unhold "${held[@]}"
    fi
    apt_install --allow-downgrades --allow-change-held-packages "${wanted[@]}"
    if is_member; then
        apt_mark hold ${CONTAINERD_PACKAGE:+"${CONTAINERD_PACKAGE%%=*}"}
    else
        apt_mark hold kubelet kubeadm kubectl ${CONTAINERD_PACKAGE:+"${CONTAINERD_PACKAGE%%=*}"}
    fi
}

# data_disk DEVICE MOUNT FS: format only a disk with no filesystem, mount it, and insist that
# the mount point is that device (else NFS would export the root filesystem).
data_disk() {
    local device="$ROOT$1" mount="$ROOT$2" fs="$3" found
    if [ ! -e "$device" ]; then
        log "data disk $1 is missing"
        return 1
    fi
    found="$(blkid -o value -s TYPE "$device" || true)"
    if [ -z "$found" ]; then
        log "formatting $1 as $fs (it has no filesystem)"
        "mkfs.$fs" "$device"
    elif [ "$found" != "$fs" ]; then
        log "$1 holds $found, not $fs: not mounting it (reformat it by hand, or change fs= in homelab.kdl)"
        return 1
    fi
    if ! grep -q "^$1 " "$ROOT/etc/fstab" 2>/dev/null; then
        printf '%s %s %s defaults,nofail 0 2\n' "$1" "$2" "$fs" >>"$ROOT/etc/fstab"
    fi
    mkdir -p "$mount"
    if ! mountpoint -q "$mount"; then
        mount "$device" "$mount"
    fi
    found="$(findmnt -n -o SOURCE --mountpoint "$mount" || true)"
    if [ "$(readlink -f "$found")" != "$(readlink -f "$device")" ]; then
        log "$2 is mounted from '${found:-nothing}', not $1"
        return 1
    fi
}

serve_nfs() {
    local directory
    for directory in "${NFS_DIRECTORIES[@]}"; do
        mkdir -p "$ROOT$directory"
    done
    systemctl enable --now nfs-server
    if changed "$EXPORTS_FILE"; then
        exportfs -ra
        mark_applied "$EXPORTS_FILE"
    fi
}

configure_containerd() {
    systemctl enable containerd
    restart_if_changed "$CONTAINERD_CONFIG" containerd restart
}

enable_kubelet() {
    systemctl enable kubelet
}

keepalived_and_haproxy() {
    systemctl enable haproxy keepalived
    restart_if_changed /etc/haproxy/haproxy.cfg haproxy reload-or-restart
    restart_if_changed /etc/keepalived/keepalived.conf keepalived reload-or-restart
}

# kube_vip_kubeconfig FILE: the host file kube-vip's pod mounts as its kubeconfig (the hostPath;
# inside the pod it stays admin.conf). During `kubeadm init` only super-admin.conf has rights.
kube_vip_kubeconfig() {
    local manifest="$ROOT/etc/kubernetes/manifests/kube-vip.yaml"
    if [ -f "$manifest" ]; then
        sed -i -E "s#^([[:space:]]*path: )/etc/kubernetes/(super-)?admin\.conf\$#\1/etc/kubernetes/$1#" "$manifest"
    fi
}

kubeadm_init() {
    fill_kubeadm_config "$INIT_CONFIG"
    [ "$VIP_KIND" != kube-vip ] || kube_vip_kubeconfig super-admin.conf
    log "no control plane answers: kubeadm init"
    # --skip-token-print: the token would land in cloud-init-output.log and on the console.
    kubeadm init --config "$KUBEADM_RUN" --skip-token-print
    [ "$VIP_KIND" != kube-vip ] || kube_vip_kubeconfig admin.conf
}

# A re-imaged control plane still has an etcd member under its peer URL; kubeadm would skip
# adding it and the new, empty etcd would crash. Remove it through another member's client API.
remove_stale_etcd_member() {
    local server list id pki="$ROOT/etc/kubernetes/pki/etcd"
    local tls=(--cacert "$pki/ca.crt" --cert "$pki/healthcheck-client.crt" --key "$pki/healthcheck-client.key")
    for server in "${OTHER_CONTROL_PLANES[@]}"; do
        list="$(curl -sf --max-time 10 "${tls[@]}" -X POST -d '{}' "https://${server%:*}:2379/v3/cluster/member/list")" || continue
        id="$(printf '%s' "$list" | { grep -o "{[^{}]*\"peerURLs\":\[\"https://$NODE_IP:2380\"[^{}]*}" || true; } |
            sed -n 's/.*"ID":"\([0-9]*\)".*/\1/p' | head -n 1)"
        if [ -n "$id" ]; then
            log "removing the stale etcd member $id (https://$NODE_IP:2380) before joining again"
            curl -sf --max-time 10 "${tls[@]}" -X POST -d "{\"ID\":\"$id\"}" \
                "https://${server%:*}:2379/v3/cluster/member/remove" >/dev/null
        fi
        return 0
    done
    log "no other etcd member answered: cannot check for a stale member of this node"
}

kubeadm_join() {
    fill_kubeadm_config "$JOIN_CONFIG"
    # A re-imaged first control plane: its seed holds a kubelet.conf for init; join makes its own.
    if [ -f "$ROOT/etc/kubernetes/kubelet.conf" ] && [ "$ROLE" = init ]; then
        rm -f "$ROOT/etc/kubernetes/kubelet.conf"
    fi
    if [ "$ROLE" != worker ]; then
        remove_stale_etcd_member
    fi
    log "kubeadm join via $ENDPOINT"
    kubeadm join --config "$KUBEADM_RUN"
}

WAS_MEMBER=0
membership() {
    if is_member; then
        WAS_MEMBER=1
        log "already a member of the cluster: no init or join"
        [ "$VIP_KIND" != kube-vip ] || kube_vip_kubeconfig admin.conf
        if changed "$KUBEADM_CONFIG"; then
            log "$KUBEADM_CONFIG changed: kubeadm does not re-read it on a member; see hlc diff"
            mark_applied "$KUBEADM_CONFIG"
        fi
        return 0
    fi
    if [ "$ROLE" = init ] && ! cluster_answers; then
        kubeadm_init
    else
        wait_for_endpoint
        kubeadm_join
    fi
    mkdir -p "$(dirname "$MEMBER")"
    date -u +%Y-%m-%dT%H:%M:%SZ >"$MEMBER"
    mark_applied "$KUBEADM_CONFIG"
}

# restart_static_pod NAME: the kubelet starts a stopped static pod container again.
restart_static_pod() {
    local ids
    local crictl=(crictl --runtime-endpoint unix:///run/containerd/containerd.sock)
    ids="$("${crictl[@]}" ps -q --name "^$1\$")"
    if [ -n "$ids" ]; then
        # shellcheck disable=SC2086 # one container id per word
        "${crictl[@]}" stop $ids >/dev/null
    fi
}

# On a member, a changed certificate or kubeconfig restarts what reads it; on a node that just
# initialised or joined, the files are only recorded.
control_plane_files() {
    local entry path reader
    for entry in "${CONTROL_PLANE_FILES[@]}"; do
        path="${entry%%|*}"
        reader="${entry#*|}"
        if [ ! -f "$ROOT$path" ] || ! changed "$path"; then
            continue
        fi
        if [ "$WAS_MEMBER" -eq 1 ]; then
            log "$path changed: restarting $reader"
            if [ "$reader" = kubelet ]; then
                systemctl restart kubelet
            else
                restart_static_pod "$reader"
            fi
        fi
        mark_applied "$path"
    done
}

# ---- day 2: a Kubernetes upgrade, in kubeadm's order ----
# The first control plane runs `kubeadm upgrade apply`; the other control planes wait until the
# cluster's kubeadm-config says the new version, then `kubeadm upgrade node`; workers wait until
# every control plane's kubelet runs it, then `kubeadm upgrade node`. Each node then drains
# itself (control planes with admin.conf, workers with their drain-only credential), moves kubelet
# and kubectl (and containerd when the seed changes it), restarts the kubelet and uncordons. A
# marker keeps an interrupted upgrade pending until the node is uncordoned (cloud-init runs a seed
# once: finish it with `sudo /etc/hlc/converge`). containerd 2 (from 1.36) is installed earlier, in
# the package step, since the seed's config needs it. kubeadm does not renew
# certificates here: hlc owns them (they reach the nodes through their seeds).

readonly UPGRADING="$ROOT/var/lib/hlc/upgrading"

# Whether this member runs another version than the seed pins, or an upgrade was interrupted.
upgrade_pending() {
    local package
    [ ! -f "$UPGRADING" ] || return 0
    for package in kubeadm kubelet kubectl; do
        case "$(installed_version "$package")" in
        "$KUBERNETES_VERSION"-*) ;;
        *) return 0 ;;
        esac
    done
    return 1
}

# install_pinned PACKAGE...: each package at the seed's version, held again afterwards.
install_pinned() {
    local package specs=()
    for package in "$@"; do
        specs+=("$package=$KUBERNETES_VERSION-*")
    done
    apt_mark unhold "$@"
    apt_install --allow-downgrades --allow-change-held-packages "${specs[@]}"
    apt_mark hold "$@"
}

node_kubectl() {
    kubectl --kubeconfig "$ROOT$DRAIN_KUBECONFIG" "$@"
}

# The version in the cluster's kubeadm-config (what `kubeadm upgrade node` moves a node to).
cluster_version() {
    kubectl --kubeconfig "$ROOT/etc/kubernetes/admin.conf" -n kube-system get configmap kubeadm-config \
        -o 'jsonpath={.data.ClusterConfiguration}' | sed -n 's/^kubernetesVersion: v\{0,1\}//p'
}

cluster_runs_pinned_version() {
    [ "$(cluster_version)" = "$KUBERNETES_VERSION" ]
}

# Every control plane's kubelet reports the pinned version (and there is one). Workers do not
# know how many control planes there are: their seeds stay alone when one is added.
control_planes_upgraded() {
    local versions version count=0
    versions="$(node_kubectl get nodes -l node-role.kubernetes.io/control-plane \
        -o 'jsonpath={range .items[*]}{.status.nodeInfo.kubeletVersion}{"\n"}{end}')" || return 1
    for version in $versions; do
        [ "$version" = "v$KUBERNETES_VERSION" ] || return 1
        count=$((count + 1))
    done
    [ "$count" -gt 0 ]
}

upgrade_control_plane_or_config() {
    case "$ROLE" in
    init)
        # Again after an interrupted run too: kubeadm re-applies the same version, finishing the
        # phases (kubelet config, addons) a failed run left.
        kubeadm upgrade apply "v$KUBERNETES_VERSION" --yes --certificate-renewal=false
        ;;
    control-plane)
        wait_until "the cluster to run $KUBERNETES_VERSION (converge $INIT_NODE first)" cluster_runs_pinned_version
        kubeadm upgrade node --certificate-renewal=false
        ;;
    *)
        wait_until "every control plane to run $KUBERNETES_VERSION" control_planes_upgraded
        kubeadm upgrade node
        ;;
    esac
}

# `kubectl drain` goes on evicting (and exits 0) when its cordon is refused: check the Node.
drain_self() {
    node_kubectl drain "$NODE" --ignore-daemonsets --delete-emptydir-data --timeout=600s
    if [ "$(node_kubectl get node "$NODE" -o 'jsonpath={.spec.unschedulable}')" != true ]; then
        log "$NODE is not cordoned after kubectl drain (refused?): not upgrading it"
        return 1
    fi
}

# `kubectl uncordon` exits 0 even when its patch is refused: check the Node itself.
uncordon_self() {
    node_kubectl uncordon "$NODE"
    if [ "$(node_kubectl get node "$NODE" -o 'jsonpath={.spec.unschedulable}')" = true ]; then
        log "$NODE is still cordoned after kubectl uncordon (refused?): the upgrade stays pending"
        return 1
    fi
}

upgrade_kubernetes() {
    if [ "$WAS_MEMBER" -eq 0 ] || ! upgrade_pending; then
        return 0
    fi
    log "upgrading to Kubernetes $KUBERNETES_VERSION"
    install_pinned kubeadm
    upgrade_control_plane_or_config
    mkdir -p "$(dirname "$UPGRADING")"
    printf '%s\n' "$KUBERNETES_VERSION" >"$UPGRADING"
    drain_self
    install_pinned kubelet kubectl
    systemctl daemon-reload
    systemctl restart kubelet
    uncordon_self
    rm -f "$UPGRADING"
    log "upgraded to Kubernetes $KUBERNETES_VERSION"
}

# A seed on a writable boot partition (a Raspberry Pi's /boot/firmware) carries the CA keys and
# the token in plain view on FAT; once converged, cloud-init keeps its own 0600 copy under
# /var/lib/cloud, so the seed's user-data there is replaced by a note. Only hlc's own seed.
scrub_boot_seed() {
    local seed
    for seed in "$ROOT/boot/firmware/user-data" "$ROOT/boot/user-data"; do
        if [ ! -f "$seed" ] || ! grep -q '^# Generated by hlc' "$seed"; then
            continue
        fi
        if printf '#cloud-config\n# hlc: the seed that was here (keys, the bootstrap token) was removed after a successful\n# converge of %s. To change this node, copy its new seed from nodes/%s/media/rpi-boot/.\n' \
            "$NODE" "$NODE" >"$seed" 2>/dev/null; then
            log "removed the seed's secrets from ${seed#"$ROOT"} (cloud-init keeps its own copy in /var/lib/cloud)"
        else
            log "could not remove the seed's secrets from ${seed#"$ROOT"} (read-only?): remove them by hand"
        fi
    done
}

finish() {
    scrub_boot_seed
    if [ -f "$RESUME_HOOK" ]; then
        rm -f "$RESUME_HOOK"
        log "removed the after-reboot hook"
    fi
    CURRENT_STEP="finish"
    log "converged"
}

main() {
    mkdir -p "$(dirname "$LOG")" "$ROOT/run"
    trap on_exit EXIT
    exec 9>"$ROOT/run/hlc-converge.lock"
    if ! flock -n 9; then
        log "another converge is running"
        exit 1
    fi
    log "converging $NODE ($ROLE), cloud-init instance $(cat "$ROOT/var/lib/cloud/data/instance-id" 2>/dev/null || echo unknown)"
    steps
    finish
}
