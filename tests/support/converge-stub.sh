#!/bin/bash
# One stub for every program /etc/hlc/converge calls (linked under each program's name on a test
# PATH). It appends its call to "$HLC_SIM/calls" and simulates the node from files in $HLC_SIM:
#   endpoint-up              a control plane answers at /livez
#   endpoint-up-after        N: the first N probes fail, then the endpoint answers
#   apt-locked               N: the next N apt-get runs fail on the dpkg lock
#   downloads-fail           every curl download fails
#   installed                "package version" lines (the dpkg database); held: held packages
#   fs/<device>, mounts/<dir>  filesystems made and mounts done
#   etcd-members             what etcd's /v3/cluster/member/list answers (else it does not answer)
#   kubeadm-fails-late       kubeadm writes the kubelet config, then fails (a timed-out join)
#   clock-unsynced           timedatectl reports no NTP synchronisation
#   cluster-version          the version in the cluster's kubeadm-config (`kubeadm upgrade apply` sets it)
#   control-plane-versions   the control planes' kubelet versions, one a line (kubectl get nodes)
#   drain-forbidden          kubectl drain is refused (a credential without the rights)
#   uncordon-refused         the Node stays unschedulable after kubectl uncordon (which exits 0 anyway)
#   cordon-refused           kubectl drain's cordon is refused (drain still evicts and exits 0)
# kubeadm refuses what the real one would: a config with the token placeholder left in, `join`
# with a kubelet.conf present (preflight FileAvailable), and anything on a member.
set -euo pipefail

program="$(basename "$0")"
sim="${HLC_SIM:?HLC_SIM is not set}"
root="${HLC_ROOT:?HLC_ROOT is not set}"
printf '%s\n' "$program${*:+ $*}" >>"$sim/calls"

key() { printf '%s' "$1" | tr '/' '_'; }

# countdown FILE: true (and one less) while FILE holds a number above zero.
countdown() {
    local left
    [ -f "$1" ] || return 1
    left="$(cat "$1")"
    [ "$left" -gt 0 ] || return 1
    echo $((left - 1)) >"$1"
}

# The config path after `--config`.
config_argument() {
    while [ $# -gt 0 ]; do
        if [ "$1" = --config ]; then
            printf '%s' "$2"
            return 0
        fi
        shift
    done
    return 1
}

record_installed() {
    local spec name version
    for spec in "$@"; do
        case "$spec" in -*) continue ;; esac
        name="${spec%%=*}"
        version="1.0-1"
        if [ "$name" != "$spec" ]; then
            version="${spec#*=}"
            version="${version//\*/1}"
        fi
        touch "$sim/installed"
        grep -v "^$name " "$sim/installed" >"$sim/installed.new" || true
        printf '%s %s\n' "$name" "$version" >>"$sim/installed.new"
        mv "$sim/installed.new" "$sim/installed"
    done
}

case "$program" in
apt-mark)
    touch "$sim/held"
    if [[ " $* " == *" hold "* ]]; then
        for package in "$@"; do
            case "$package" in -* | hold | DPkg*) ;; *) grep -qx "$package" "$sim/held" || echo "$package" >>"$sim/held" ;; esac
        done
    elif [[ " $* " == *" unhold "* ]]; then
        for package in "$@"; do
            grep -vx "$package" "$sim/held" >"$sim/held.new" || true
            mv "$sim/held.new" "$sim/held"
        done
    fi
    ;;
apt-get)
    if countdown "$sim/apt-locked"; then
        echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (unattended-upgr)" >&2
        exit 100
    fi
    for argument in "$@"; do
        if [ "$argument" = install ]; then
            for spec in "$@"; do
                name="${spec%%=*}"
                if [ "$name" != "$spec" ] && grep -qx "$name" "$sim/held" 2>/dev/null &&
                    [[ " $* " != *" --allow-change-held-packages "* ]]; then
                    echo "E: Held packages were changed and -y was used without --allow-change-held-packages." >&2
                    exit 100
                fi
            done
            found=0
            for spec in "$@"; do
                [ "$found" -eq 1 ] && record_installed "$spec"
                [ "$spec" = install ] && found=1
            done
            break
        fi
    done
    ;;
dpkg-query)
    # Answers the format it is asked for, as dpkg does: ${Status} of a held package is
    # "hold ok installed", ${db:Status-Status} is "installed" either way.
    package="${*: -1}"
    line="$(grep "^$package " "$sim/installed" 2>/dev/null || true)"
    if [ -z "$line" ]; then
        echo "dpkg-query: no packages found matching $package" >&2
        exit 1
    fi
    status="install ok installed"
    if grep -qx "$package" "$sim/held" 2>/dev/null; then status="hold ok installed"; fi
    # shellcheck disable=SC2016 # the literal format string converge passes
    case "$*" in
    *'${db:Status-Status}'*) printf 'installed %s\n' "${line#* }" ;;
    *) printf '%s %s\n' "$status" "${line#* }" ;;
    esac
    ;;
timedatectl)
    if [ -f "$sim/clock-unsynced" ]; then echo no; else echo yes; fi
    ;;
crictl)
    if [[ " $* " == *" ps "* ]]; then
        name="${*: -1}"
        name="${name#^}"
        printf 'container-of-%s\n' "${name%\$}"
    fi
    ;;
curl)
    url="${*: -1}"
    case "$url" in
    *:2379/v3/cluster/member/list)
        if [ -f "$sim/etcd-members" ]; then cat "$sim/etcd-members"; else exit 7; fi
        ;;
    *:2379/v3/cluster/member/remove) ;;
    */livez)
        if [ -f "$sim/endpoint-up" ]; then exit 0; fi
        if [ -f "$sim/endpoint-up-after" ] && ! countdown "$sim/endpoint-up-after"; then
            touch "$sim/endpoint-up"
            exit 0
        fi
        exit 7
        ;;
    *)
        if [ -f "$sim/downloads-fail" ]; then
            echo "curl: (6) Could not resolve host" >&2
            exit 6
        fi
        output=""
        while [ $# -gt 0 ]; do
            if [ "$1" = -o ]; then output="$2"; fi
            shift
        done
        printf 'key from %s\n' "$url" >"${output:?curl stub needs -o}"
        ;;
    esac
    ;;
gpg)
    output="" input="${*: -1}"
    while [ $# -gt 0 ]; do
        if [ "$1" = -o ]; then output="$2"; fi
        shift
    done
    cp "$input" "${output:?gpg stub needs -o}"
    ;;
kubectl)
    case "$*" in
    *" get configmap kubeadm-config "*)
        if [ ! -f "$sim/cluster-version" ]; then exit 1; fi
        printf 'apiServer: {}\nkubernetesVersion: v%s\n' "$(cat "$sim/cluster-version")"
        ;;
    *" get nodes -l node-role.kubernetes.io/control-plane "*)
        if [ ! -f "$sim/control-plane-versions" ]; then exit 1; fi
        cat "$sim/control-plane-versions"
        ;;
    *" drain "*)
        if [ -f "$sim/drain-forbidden" ]; then
            echo 'Error from server (Forbidden): nodes "x" is forbidden' >&2
            exit 1
        fi
        # Like kubectl: a refused cordon is printed, and drain goes on and exits 0.
        if [ -f "$sim/cordon-refused" ]; then echo 'error: unable to cordon node' >&2; else touch "$sim/cordoned"; fi
        ;;
    *" uncordon "*)
        if [ ! -f "$sim/uncordon-refused" ]; then rm -f "$sim/cordoned"; fi
        ;;
    *" get node "*" jsonpath={.spec.unschedulable}"*)
        if [ -f "$sim/cordoned" ]; then echo true; fi
        ;;
    *)
        echo "converge-stub: no simulation for kubectl $*" >&2
        exit 127
        ;;
    esac
    ;;
kubeadm)
    if [ "$1" = upgrade ]; then
        # The real one refuses to run an older kubeadm than the version it upgrades to.
        installed="$(sed -n 's/^kubeadm //p' "$sim/installed")"
        case "$2" in
        apply)
            [ "${installed%%-*}" = "${3#v}" ] || { echo "kubeadm stub: kubeadm $installed cannot upgrade to $3" >&2; exit 1; }
            printf '%s\n' "${3#v}" >"$sim/cluster-version"
            ;;
        node)
            if [ -f "$sim/cluster-version" ] && [ "${installed%%-*}" != "$(cat "$sim/cluster-version")" ]; then
                echo "kubeadm stub: kubeadm $installed does not match the cluster's $(cat "$sim/cluster-version")" >&2
                exit 1
            fi
            ;;
        esac
        exit 0
    fi
    config="$(config_argument "$@")"
    if grep -q '@HLC_BOOTSTRAP_TOKEN@' "$config"; then
        echo "kubeadm stub: the token placeholder is still in $config" >&2
        exit 1
    fi
    if [ -f "$root/var/lib/kubelet/config.yaml" ] && [ ! -f "$sim/kubeadm-retry-ok" ]; then
        echo "kubeadm stub: [preflight] /var/lib/kubelet/config.yaml already exists" >&2
        exit 1
    fi
    if [ "$1" = join ] && [ -f "$root/etc/kubernetes/kubelet.conf" ]; then
        echo "kubeadm stub: [preflight] FileAvailable--etc-kubernetes-kubelet.conf: already exists" >&2
        exit 1
    fi
    manifest="$root/etc/kubernetes/manifests/kube-vip.yaml"
    if [ -f "$manifest" ]; then
        host="$(sed -n 's#^ *path: \(/etc/kubernetes/.*\.conf\)$#\1#p' "$manifest")"
        inside="$(sed -n 's#^ *mountPath: \(/etc/kubernetes/.*\.conf\)$#\1#p' "$manifest")"
        printf 'kube-vip reads %s mounted at %s\n' "$host" "$inside" >>"$sim/calls"
    fi
    mkdir -p "$root/var/lib/kubelet"
    echo "kind: KubeletConfiguration" >"$root/var/lib/kubelet/config.yaml"
    if [ -f "$sim/kubeadm-fails-late" ]; then
        rm "$sim/kubeadm-fails-late"
        echo "kubeadm stub: [kubelet-check] timed out waiting for the condition" >&2
        exit 1
    fi
    ;;
blkid)
    device="${*: -1}"
    if [ -f "$sim/fs/$(key "$device")" ]; then cat "$sim/fs/$(key "$device")"; else exit 2; fi
    ;;
mkfs.*)
    mkdir -p "$sim/fs"
    printf '%s\n' "${program#mkfs.}" >"$sim/fs/$(key "${*: -1}")"
    ;;
mount)
    mkdir -p "$sim/mounts"
    printf '%s\n' "$1" >"$sim/mounts/$(key "$2")"
    ;;
mountpoint)
    [ -f "$sim/mounts/$(key "${*: -1}")" ]
    ;;
findmnt)
    mountpoint="${*: -1}"
    if [ -f "$sim/mounts/$(key "$mountpoint")" ]; then cat "$sim/mounts/$(key "$mountpoint")"; else exit 1; fi
    ;;
systemctl | modprobe | sysctl | swapoff | logger | exportfs | sleep) ;;
*)
    echo "converge-stub: no simulation for $program" >&2
    exit 127
    ;;
esac
