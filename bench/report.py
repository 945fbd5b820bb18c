"""Prints bench/run.sh's table from what it left in target/bench: hyperfine's timings and the
front server's request logs. Standard library only.

The limit a run can reach is the process's start (`--version`'s median) plus its longest chain
of calls that each arrived after the previous one was answered, times the latency: a call that
waited for another's answer is counted as depending on it, so the figure is what the run did,
and the chain is printed so that a reader can check each link is a real dependency.
"""

import json
import os
import platform
import statistics
import sys
from collections import Counter
from pathlib import Path

from chain import chain

out, latency_ms, profile = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


def median_s(name):
    return json.loads((out / f"{name}.time.json").read_text())["results"][0]["median"]


def requests(name):
    return json.loads((out / f"{name}.requests.json").read_text())


def duplicates(log):
    seen = Counter((r["service"], r["operation"], r["region"], r["digest"]) for r in log)
    return sum(n - 1 for n in seen.values())


def mark(ok):
    return "met" if ok else "missed"


start = median_s("version")
doctor = median_s("doctor")
doctor_log = requests("doctor")
links = chain(doctor_log)
limit = start + len(links) * latency_ms / 1000
cli = median_s("aws-cli")
cli_calls = len(requests("aws-cli"))
audits = {n: median_s(f"audit-{n}") for n in (1, 4, 16)}
audit_logs = {n: requests(f"audit-{n}") for n in (1, 4, 16)}
maxrss = (out / "doctor.maxrss").read_text().strip().splitlines()[-1]

cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
print(f"Machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}; {profile} build; "
      f"{latency_ms} ms added to every AWS answer.\n")
print("| figure | value | target |")
print("|---|---|---|")
print(f"| `doctor` (2 models, 1 region), median | {doctor * 1000:.0f} ms | |")
print(f"| its limit: start {start * 1000:.0f} ms + {len(links)} dependent calls × {latency_ms} ms | {limit * 1000:.0f} ms | |")
print(f"| doctor / limit | {doctor / limit:.2f} | ≤ 1.25: {mark(doctor / limit <= 1.25)} |")
print(f"| the same questions with the aws CLI, one after another ({cli_calls} requests) | {cli * 1000:.0f} ms | |")
print(f"| aws CLI / doctor | {cli / doctor:.1f}× | ≥ 20×: {mark(cli / doctor >= 20)} |")
for n in (1, 4, 16):
    print(f"| `audit` over {n} region{'s' if n > 1 else ''}, median ({len(audit_logs[n])} calls) | {audits[n] * 1000:.0f} ms | |")
print(f"| audit 16 regions / 1 region | {audits[16] / audits[1]:.2f} | ≤ 1.5: {mark(audits[16] / audits[1] <= 1.5)} |")
dups = {"doctor": duplicates(doctor_log), **{f"audit {n}": duplicates(audit_logs[n]) for n in (1, 4, 16)}}
print(f"| calls per `doctor` run | {len(doctor_log)} | |")
print(f"| duplicate calls ({', '.join(f'{k} {v}' for k, v in dups.items())}) | {sum(dups.values())} | 0: {mark(sum(dups.values()) == 0)} |")
print(f"| `--version` cold start, median | {start * 1000:.1f} ms | |")
print(f"| peak memory of a `doctor` run | {int(maxrss) / 1024:.1f} MB | |")
print(f"\nLongest chain of dependent calls in the doctor run: {' → '.join(links)}")
