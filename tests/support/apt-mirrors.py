"""Reads the `apt:` section of NoCloud user-data files with cloud-init's own apt module (Debian
12's cloud-init, /usr/lib/python3/dist-packages) and prints, per file, the mirrors cloud-init
finds for the node's architecture and the sources.list its template for the distribution renders
with them (what a node without the image's mirror lists would get). One JSON object per line:
{"file", "primary", "security", "sources"}. Usage: apt-mirrors.py DISTRO ARCH USER-DATA..."""

import json
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import yaml  # noqa: E402
from cloudinit import templater  # noqa: E402
from cloudinit.config import cc_apt_configure  # noqa: E402

CODENAMES = {"debian": "bookworm", "ubuntu": "noble"}


def main(distro, arch, files):
    template = open(f"/etc/cloud/templates/sources.list.{distro}.tmpl").read()
    for path in files:
        config = yaml.safe_load(open(path))
        apt = cc_apt_configure.convert_to_v3_apt_format(config).get("apt", {})
        mirrors = cc_apt_configure.find_apt_mirror_info(apt, None, arch=arch)
        params = {"codename": CODENAMES[distro], "mirror": mirrors["MIRROR"], "security": mirrors["SECURITY"]}
        sources = [line for line in templater.render_string(template, params).splitlines() if line.startswith("deb")]
        print(json.dumps({"file": path, "primary": mirrors["PRIMARY"], "security": mirrors["SECURITY"], "sources": sources}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
