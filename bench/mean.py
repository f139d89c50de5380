"""Prints `mean ± stddev ms` for each result of a hyperfine JSON export (bench/run.sh)."""
import json
import sys

for result in json.load(open(sys.argv[1]))["results"]:
    print(f"{result['mean'] * 1000:.1f} ± {result['stddev'] * 1000:.1f} ms")
