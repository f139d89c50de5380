#!/usr/bin/env python3
"""A/B of two hlc binaries by CPU time (user + system of the child, from wait4), alternating runs
so both see the same machine load. Wall time on a shared 2-core machine is too noisy; CPU time is
what a change to hlc's own work moves.

Usage: bench/ab.py BEFORE AFTER LAB RUNS
Builds LAB (a homelab.kdl) in scratch directories: check, cold build (empty state), warm build
(state kept, output removed) and no-op build; prints a markdown table, mean ± standard deviation."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile


def cpu(argv, cwd):
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv} failed in {cwd}")
    return (usage.ru_utime + usage.ru_stime) * 1000


def scenarios(binary, lab, work):
    build = [binary, "build", "homelab.kdl", "-o", "out", "--state", "state"]
    shutil.copy(lab, os.path.join(work, "homelab.kdl"))
    yield "check", cpu([binary, "check", "homelab.kdl"], work)
    for path in ("out", "state"):
        shutil.rmtree(os.path.join(work, path), ignore_errors=True)
    yield "build, cold (new PKI)", cpu(build, work)
    shutil.rmtree(os.path.join(work, "out"))
    yield "build, warm (state kept, output removed)", cpu(build, work)
    yield "build, no-op", cpu(build, work)


def main(before, after, lab, runs):
    times = {}
    with tempfile.TemporaryDirectory(dir="/dev/shm") as scratch:
        for run in range(int(runs)):
            for label, binary in (("before", before), ("after", after)):
                work = os.path.join(scratch, f"{label}-{run}")
                os.mkdir(work)
                for name, ms in scenarios(binary, lab, work):
                    times.setdefault(name, {}).setdefault(label, []).append(ms)
                shutil.rmtree(work)
    print("| run | before | after |\n| --- | --- | --- |")
    for name, by in times.items():
        cells = [f"{statistics.mean(by[l]):.1f} ± {statistics.stdev(by[l]):.1f} ms" for l in ("before", "after")]
        print(f"| {name} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main(*sys.argv[1:5])
