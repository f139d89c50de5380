#!/usr/bin/env python3
"""Regenerates fixtures/invalid/*.kdl: a small valid lab with one targeted mistake each.

Each fixture is named after the diagnostic code it must trigger (hlc::net::outside-lan ->
net-outside-lan.kdl); tests/diagnostics.rs asserts that it does. Run from the repository root.
"""
import pathlib

BASE = '''cluster "lab" {
    kubernetes "1.36"
}

network {
    lan "192.168.1.0/24" gateway="192.168.1.1"
    dhcp range="192.168.1.200-192.168.1.249"
    vip "192.168.1.10" name="k8s.home.arpa"
}

hardware "mini" arch="amd64" cpus=4 memory="16GiB"

node "cp1" hardware="mini" role="control-plane" {
    nic "eth0" mac="02:00:00:00:00:01" ip="192.168.1.11"
    disk "/dev/sda" use="os"
}
node "w1" hardware="mini" {
    nic "eth0" mac="02:00:00:00:00:02" ip="192.168.1.21"
    disk "/dev/sda" use="os"
}

load-balancer "metallb" {
    pool "primary" "192.168.1.50-192.168.1.79"
}
'''

CEPH_NODES = '''node "s1" hardware="mini" {
    nic "eth0" mac="02:00:00:00:00:31" ip="192.168.1.31"
    disk "/dev/disk/by-id/ata-SSD_S1" use="ceph"
}
node "s2" hardware="mini" {
    nic "eth0" mac="02:00:00:00:00:32" ip="192.168.1.32"
    disk "/dev/disk/by-id/ata-SSD_S2" use="ceph"
}
'''

# Appended last to every fixture but access-none, so that none warns about it by accident.
ACCESS = '''
access {
    user "ops" ssh-key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0v3xPq0sQdbZ5Zk8m8e1K1o2eSx0cYk3nUJ0gQxk9D ops@laptop"
}
'''

# name: (what is wrong, [(old, new), ...] applied to BASE; old == "" appends new)
FIXTURES = {
    "kdl-syntax": ("an unterminated string and an unclosed block", [('kubernetes "1.36"', 'kubernetes "1.36'), ('    pool "primary"', '    pool "primary" {')]),
    "schema-unknown-node": ("a misspelt top-level node and a misspelt child", [('network {', 'netwrok {'), ('', 'storage {\n    cepth {\n    }\n}\n')]),
    "schema-unknown-property": ("a misspelt property and one that belongs to another CNI", [('gateway="192.168.1.1"', 'gatway="192.168.1.1"'), ('', 'cni "flannel" encapsulation="vxlan"\n')]),
    "schema-unexpected-argument": ("a second IP given as an argument", [('nic "eth0" mac="02:00:00:00:00:01"', 'nic "eth0" "eth1" mac="02:00:00:00:00:01"')]),
    "schema-wrong-type": ("a quoted number and an unquoted boolean-like value", [('cpus=4', 'cpus="4"'), ('', 'registry "r.home.arpa:5000" insecure="yes"\n')]),
    "schema-invalid-choice": ("a role and an OS that do not exist", [('role="control-plane"', 'role="controlplane"'), ('kubernetes "1.36"', 'kubernetes "1.36"\n    os "ubuntu-20.04"')]),
    "schema-missing-value": ("a NIC without ip= and a node without a name", [(' ip="192.168.1.21"', ''), ('node "cp1" hardware', 'node hardware')]),
    "schema-missing-node": ("no network and a node without a NIC", [('network {\n    lan "192.168.1.0/24" gateway="192.168.1.1"\n    dhcp range="192.168.1.200-192.168.1.249"\n    vip "192.168.1.10" name="k8s.home.arpa"\n}\n', ''), ('    nic "eth0" mac="02:00:00:00:00:02" ip="192.168.1.21"\n', '')]),
    "schema-duplicate-node": ("two cluster nodes", [('', 'cluster "lab2"\n')]),
    "value-ip": ("an address with an octet over 255", [('ip="192.168.1.21"', 'ip="192.168.1.321"')]),
    "value-cidr": ("a LAN with host bits set", [('lan "192.168.1.0/24"', 'lan "192.168.1.5/24"')]),
    "value-range": ("a DHCP range without a dash", [('range="192.168.1.200-192.168.1.249"', 'range="192.168.1.200 to 192.168.1.249"')]),
    "value-mac": ("a MAC with five octets", [('mac="02:00:00:00:00:02"', 'mac="02:00:00:00:02"')]),
    "value-size": ("memory without a unit", [('memory="16GiB"', 'memory="16"')]),
    "value-url": ("a GitOps URL without a scheme", [('', 'gitops "flux" url="github.com/example/homelab"\n')]),
    "value-host-port": ("a registry with a bad port", [('', 'registry "registry.home.arpa:50000000"\n')]),
    "value-path": ("a relative disk path", [('disk "/dev/sda" use="os"\n}\nnode "w1"', 'disk "sda" use="os"\n}\nnode "w1"')]),
    "value-number": ("a VIP port out of range and zero CPUs", [('name="k8s.home.arpa"', 'name="k8s.home.arpa" port=70000'), ('cpus=4', 'cpus=0')]),
    "name-dns-label": ("upper case and underscores in names", [('node "w1"', 'node "Worker_1"'), ('cluster "lab"', 'cluster "-lab"')]),
    "name-duplicate": ("two nodes called w1", [('', 'node "w1" hardware="mini" {\n    nic "eth0" mac="02:00:00:00:00:03" ip="192.168.1.22"\n}\n')]),
    "name-hostname-clash": ("the VIP named like a node", [('name="k8s.home.arpa"', 'name="cp1.home.arpa"')]),
    "ref-unknown-hardware": ("a node naming a profile that is not declared", [('node "w1" hardware="mini"', 'node "w1" hardware="minni"')]),
    "cluster-version": ("an unsupported Kubernetes version", [('kubernetes "1.36"', 'kubernetes "1.29.4"')]),
    "cluster-no-control-plane": ("no node is a control plane", [(' role="control-plane"', '')]),
    "cluster-even-control-planes": ("two control planes (a warning)", [('node "w1" hardware="mini" {', 'node "w1" hardware="mini" role="control-plane" {')]),
    "cluster-vip-required": ("three control planes and no VIP", [('    vip "192.168.1.10" name="k8s.home.arpa"\n', ''), ('node "w1" hardware="mini" {', 'node "w1" hardware="mini" role="control-plane" {'), ('', 'node "cp3" hardware="mini" role="control-plane" {\n    nic "eth0" mac="02:00:00:00:00:03" ip="192.168.1.13"\n}\n')]),
    "net-outside-lan": ("a node IP and the gateway outside the LAN", [('ip="192.168.1.21"', 'ip="192.168.2.21"'), ('gateway="192.168.1.1"', 'gateway="10.0.0.1"')]),
    "net-reserved-address": ("a node on the broadcast address", [('ip="192.168.1.21"', 'ip="192.168.1.255"')]),
    "net-duplicate-ip": ("two NICs with one address", [('ip="192.168.1.21"', 'ip="192.168.1.11"')]),
    "net-duplicate-mac": ("two NICs with one MAC", [('mac="02:00:00:00:00:02"', 'mac="02:00:00:00:00:01"')]),
    "net-vip-conflict": ("the VIP is a node's address", [('vip "192.168.1.10"', 'vip "192.168.1.11"')]),
    "net-in-dhcp-range": ("a node and the VIP inside the DHCP range", [('ip="192.168.1.21"', 'ip="192.168.1.210"'), ('vip "192.168.1.10"', 'vip "192.168.1.201"')]),
    "net-in-lb-pool": ("a node inside the load-balancer pool", [('ip="192.168.1.21"', 'ip="192.168.1.60"')]),
    "net-pool-overlap": ("two pools sharing addresses, one overlapping the DHCP range", [('    pool "primary" "192.168.1.50-192.168.1.79"', '    pool "primary" "192.168.1.50-192.168.1.79"\n    pool "extra" "192.168.1.70-192.168.1.89"\n    pool "late" "192.168.1.240/28"')]),
    "net-cidr-overlap": ("the service network inside the pod network", [('    vip "192.168.1.10"', '    pods "10.0.0.0/8"\n    services "10.96.0.0/12"\n    vip "192.168.1.10"')]),
    "net-range-order": ("a pool written backwards", [('"192.168.1.50-192.168.1.79"', '"192.168.1.79-192.168.1.50"')]),
    "disk-os": ("two OS disks on one node", [('    disk "/dev/sda" use="os"\n}\nnode "w1"', '    disk "/dev/sda" use="os"\n    disk "/dev/sdb" use="os"\n}\nnode "w1"')]),
    "disk-mount": ("a data disk without mount= and a Ceph disk with one", [('    disk "/dev/sda" use="os"\n}\n\nload', '    disk "/dev/sda" use="os"\n    disk "/dev/disk/by-id/ata-HDD_W1" use="data"\n    disk "/dev/disk/by-id/ata-SSD_W1" use="ceph" mount="/mnt/ceph"\n}\n\nload')]),
    "disk-unstable-path": ("a data disk and a Ceph disk named by probe order (warnings)", [('    disk "/dev/sda" use="os"\n}\n\nload', '    disk "/dev/sda" use="os"\n    disk "/dev/sdb" use="data" mount="/srv/data"\n    disk "/dev/sdc" use="ceph"\n}\n\nload')]),
    "access-none": ("no access block, so nobody can log in to the nodes (a warning)", []),
    "lb-needs-cilium-cni": ("Cilium LB IPAM on Calico", [('load-balancer "metallb"', 'load-balancer "cilium"'), ('', 'cni "calico"\n')]),
    "lb-needs-kube-proxy-replacement": ("Cilium L2 announcements while kube-proxy still runs", [('load-balancer "metallb"', 'load-balancer "cilium"'), ('', 'cni "cilium"\n')]),
    "lb-bgp-peer": ("BGP mode without a peer", [('load-balancer "metallb" {', 'load-balancer "metallb" mode="bgp" {')]),
    "lb-strict-arp": ("MetalLB L2 with IPVS (a note, not an error)", [('', 'kube-proxy mode="ipvs"\n')]),
    "ingress-outside-pool": ("an ingress IP outside every pool", [('', 'ingress "ingress-nginx" ip="192.168.1.90"\n')]),
    "ingress-no-load-balancer": ("an ingress IP with no load balancer", [('load-balancer "metallb" {\n    pool "primary" "192.168.1.50-192.168.1.79"\n}\n', 'ingress "ingress-nginx" ip="192.168.1.50"\n')]),
    "cni-kube-proxy-replaced": ("kube-proxy settings while Cilium replaces it", [('', 'cni "cilium" kube-proxy-replacement=#true\nkube-proxy mode="ipvs"\n')]),
    "ceph-no-disks": ("Ceph without use=\"ceph\" disks", [('', 'storage {\n    ceph {\n        block-pool "rbd" replicas=1\n    }\n}\n')]),
    "ceph-replicas": ("three replicas on two Ceph hosts", [('', CEPH_NODES + 'storage {\n    ceph {\n        block-pool "rbd" replicas=3 storage-class="ceph-block"\n    }\n}\n')]),
    "ceph-mons": ("an even monitor count", [('', CEPH_NODES + 'storage {\n    ceph {\n        block-pool "rbd" replicas=2\n        mons 2\n    }\n}\n')]),
    "ceph-osd-memory": ("OSD memory limits above a node's memory", [('', CEPH_NODES + 'storage {\n    ceph {\n        block-pool "rbd" replicas=2\n        osd-memory "24GiB"\n    }\n}\n')]),
    "nfs-server": ("an NFS server that is no node and no IP", [('', 'storage {\n    nfs "backup" server="nas9" path="/tank"\n}\n')]),
    "nfs-path": ("an NFS export outside the node's data mounts", [('    disk "/dev/sda" use="os"\n}\n\nload', '    disk "/dev/sda" use="os"\n    disk "/dev/disk/by-id/ata-HDD_W1" use="data" mount="/srv/data"\n}\n\nload'), ('', 'storage {\n    nfs "backup" server="w1" path="/home/k8s"\n}\n')]),
    "storage-default-class": ("two default storage classes", [('', 'storage {\n    nfs "a" server="192.168.1.5" path="/a" default=#true\n    nfs "b" server="192.168.1.5" path="/b" default=#true\n}\n')]),
    "auth-unknown-role": ("a grant of a role that does not exist", [('', 'auth {\n    oidc issuer="https://sso.example.com" client-id="k8s"\n    grant "veiw" group="devs"\n}\n')]),
    "auth-issuer": ("a plain-http OIDC issuer", [('', 'auth {\n    oidc issuer="http://sso.example.com" client-id="k8s"\n}\n')]),
    "auth-grant-subject": ("a grant to nobody and one to two subjects", [('', 'auth {\n    oidc issuer="https://sso.example.com" client-id="k8s"\n    grant "view"\n    grant "edit" user="a@example.com" group="devs"\n}\n')]),
    "auth-grant-needs-oidc": ("grants without an OIDC issuer", [('', 'auth {\n    grant "view" group="devs"\n}\n')]),
}


def build(name, why, edits):
    text = BASE
    for old, new in edits:
        if old == "":
            text += new
        else:
            assert old in text, f"{name}: {old!r} not in base"
            text = text.replace(old, new, 1)
    if name != "access-none":
        text += ACCESS
    return f"// Invalid on purpose: {why}.\n// Must report hlc::{name.replace('-', '::', 1)}.\n" + text


def main():
    out = pathlib.Path("fixtures/invalid")
    out.mkdir(parents=True, exist_ok=True)
    for name, (why, edits) in FIXTURES.items():
        (out / f"{name}.kdl").write_text(build(name, why, edits))


if __name__ == "__main__":
    main()
