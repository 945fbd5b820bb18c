"""Prints bench/org.sh's table from what it left in target/bench/org: hyperfine's timings, the
front server's request logs, peak memory and the reports. Standard library only.

The round-trip limit of an organization's audit is the process's start plus the longest chain
of dependent calls of one account's audit (the caller's identity, the listing and the role
included), times the latency, times the waves of accounts the concurrency allows:
ceil(accounts × regions / concurrency) account-region pairs at a time.
"""

import json
import math
import os
import platform
import sys
from pathlib import Path

from chain import chain

out, latency_ms, concurrency, build = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
REGIONS = 4


def median_s(name):
    return json.loads((out / f"{name}.time.json").read_text())["results"][0]["median"]


def requests(name):
    return json.loads((out / f"{name}.requests.json").read_text())


start = median_s("version")
links = chain(requests("one"))
cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
print(f"Machine: {os.cpu_count()} cores, {cpu}; {build} build; {latency_ms} ms added to every AWS answer; "
      f"{REGIONS} regions; --max-concurrency {concurrency}.\n")
print("| member accounts | wall time, median | round-trip limit | time / limit | requests per account | peak memory | CPU: the tool / moto | accounts in the report |")
print("|---|---|---|---|---|---|---|---|")
for accounts in (50, 200):
    name = f"org-{accounts}"
    wall = median_s(name)
    # The management account is audited too.
    audited = accounts + 1
    # An account's regions are audited together: concurrency // regions accounts at a time.
    waves = math.ceil(audited / max(1, concurrency // REGIONS))
    limit = start + len(links) * latency_ms / 1000 * waves
    per_account = len(requests(name)) / audited
    maxrss_kb, user_s, system_s = (out / f"{name}.usage").read_text().strip().splitlines()[-1].split()
    maxrss = int(maxrss_kb) / 1024
    tool_cpu = float(user_s) + float(system_s)
    moto_cpu = float((out / f"{name}.moto-cpu").read_text().strip())
    report = json.loads((out / f"{name}.json").read_text())
    print(f"| {accounts} | {wall:.1f} s | {limit:.1f} s | {wall / limit:.2f} (goal ≤ 1.5: {'met' if wall / limit <= 1.5 else 'missed'}) "
          f"| {per_account:.0f} | {maxrss:.0f} MB | {tool_cpu:.1f} s / {moto_cpu:.1f} s | {len(report.get('accounts', []))} |")
print(f"\nLongest chain of dependent calls of one account's audit ({len(links)}): {' → '.join(links)}")
