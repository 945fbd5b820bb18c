#!/usr/bin/env bash
# Benchmarks `audit --org` against the local emulator: moto's organization with 50, then 200
# member accounts, each audited through its role in 4 regions, with LATENCY_MS (default 100)
# added to every AWS answer; prints the table the README shows. A script to run by hand, not a
# test: its figures depend on the machine (moto answers every account on the same cores).
#
#   bash bench/org.sh [RUNS]      RUNS: timed runs per figure (default 3)
#   BIN=path/to/bedrock-preflight bash bench/org.sh   time that binary, building none
#
# Needs hyperfine (Debian package; installed with apt-get when missing and allowed).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-3}
LATENCY_MS=${LATENCY_MS:-100}
CONCURRENCY=${CONCURRENCY:-64}  # the default of --max-concurrency
out=target/bench/org
mkdir -p "$out"

bash scripts/emulator-setup.sh
if ! command -v hyperfine >/dev/null; then
  echo "Installing hyperfine with apt-get ..." >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >&2
fi
build=release
if [ -n "${BIN:-}" ]; then
  bin=$BIN
  build="$BIN"
else
  cargo build --quiet --release --bin bedrock-preflight
  bin=target/release/bedrock-preflight
fi
cargo build --quiet --example front_server

source scripts/emulator-lib.sh
start_emulator "$LATENCY_MS"
export HOME="$work" AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" \
  AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="$front" AWS_REGION=us-east-1 NO_COLOR=1
unset AWS_PROFILE AWS_BEARER_TOKEN_BEDROCK

# The organization, its management account the sandbox's (moto's 123456789012); prints the
# first member's ID.
seed() {
  target/emulator/venv/bin/python - "$moto" "$1" <<'PY'
import sys, boto3
org = boto3.client("organizations", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="AKIASANDBOXSEED00000", aws_secret_access_key="sandbox-seed")
try:
    org.create_organization(FeatureSet="ALL")
except org.exceptions.AlreadyInOrganizationException:
    pass
members = lambda: [a["Id"] for a in org.list_accounts()["Accounts"] if a["Id"] != "123456789012"]
for i in range(len(members()), int(sys.argv[2])):
    org.create_account(Email=f"member{i}@example.com", AccountName=f"member-{i}")
print(sorted(members())[0])
PY
}

# User and system CPU seconds a process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

regions=us-east-1,us-west-2,eu-west-1,ap-northeast-1
audit="$bin audit --org --role-name audit --regions $regions --max-concurrency $CONCURRENCY --output json"
logged() {
  curl -s -X POST "$front/_front/reset" >/dev/null
  $1 --out /dev/null || true
  curl -s "$front/_front/requests" >"$out/$2.requests.json"
}
for accounts in 50 200; do
  first=$(seed "$accounts")
  # One account alone: the longest chain of dependent calls, listing and assuming included.
  [ "$accounts" = 50 ] && logged "$audit --accounts $first" one
  logged "$audit" "org-$accounts"
  # Peak memory and CPU seconds of the tool, and the CPU seconds moto spent answering it: on
  # one machine, the emulator's own work is part of the wall time.
  moto_before=$(cpu_seconds "${pids[0]}")
  /usr/bin/time -f '%M %U %S' -o "$out/org-$accounts.usage" $audit --out "$out/org-$accounts.json" || true
  awk -v a="$(cpu_seconds "${pids[0]}")" -v b="$moto_before" 'BEGIN { printf "%.2f\n", a - b }' \
    >"$out/org-$accounts.moto-cpu"
  hyperfine --style none --ignore-failure --runs "$RUNS" --export-json "$out/org-$accounts.time.json" \
    "$audit --out /dev/null" >/dev/null
done
hyperfine --style none --runs 30 --warmup 3 -N --export-json "$out/version.time.json" "$bin --version" >/dev/null

python3 bench/org_report.py "$out" "$LATENCY_MS" "$CONCURRENCY" "$build"
