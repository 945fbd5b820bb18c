#!/usr/bin/env bash
# Benchmarks bedrock-preflight against the local emulator (moto and the front server) with
# LATENCY_MS (default 100) added to every AWS answer, and prints the table the README shows.
# A script to run by hand, not a test: its figures depend on the machine.
#
#   bash bench/run.sh [RUNS]      RUNS: timed runs per figure (default 10)
#   PROFILE=dev bash bench/run.sh  time the debug build instead of the release one
#   BIN=path/to/bedrock-preflight bash bench/run.sh   time that binary, building none
#
# Needs hyperfine (Debian package; installed with apt-get when missing and allowed) and installs
# the aws CLI from PyPI into target/bench/awscli-venv for the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-10}
LATENCY_MS=${LATENCY_MS:-100}
PROFILE=${PROFILE:-release}
AWSCLI_VERSION=1.46.2
out=target/bench
mkdir -p "$out"

bash scripts/emulator-setup.sh
if ! command -v hyperfine >/dev/null; then
  echo "Installing hyperfine with apt-get ..." >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >&2
fi
# Its own venv: the aws CLI pins a botocore that must not replace moto's.
cli_venv=$out/awscli-venv
if [ "$("$cli_venv/bin/python" -c 'import importlib.metadata as m; print(m.version("awscli"))' 2>/dev/null)" != "$AWSCLI_VERSION" ]; then
  echo "Installing awscli==$AWSCLI_VERSION into $cli_venv ..." >&2
  python3 -m venv --clear "$cli_venv"
  "$cli_venv/bin/pip" install --quiet --disable-pip-version-check "awscli==$AWSCLI_VERSION" >&2
fi

if [ -n "${BIN:-}" ]; then
  bin=$BIN
elif [ "$PROFILE" = release ]; then
  cargo build --quiet --release --bin bedrock-preflight
  bin=target/release/bedrock-preflight
else
  cargo build --quiet --bin bedrock-preflight
  bin=target/debug/bedrock-preflight
fi
cargo build --quiet --example front_server

source scripts/emulator-lib.sh
start_emulator "$LATENCY_MS"

export HOME="$work" AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" \
  AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="$front" AWS_REGION=us-east-1 NO_COLOR=1
unset AWS_PROFILE AWS_BEARER_TOKEN_BEDROCK

doctor="$bin doctor --model sonnet --model haiku --region us-east-1 --output json --out /dev/null"
regions=(us-east-1 us-east-2 us-west-2 eu-west-1 eu-west-2 eu-west-3 eu-central-1 eu-north-1
  eu-south-1 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1 ap-southeast-1 ap-southeast-2 ca-central-1)
audit() { echo "$bin audit --regions $(IFS=,; echo "${regions[*]:0:$1}") --output json --out /dev/null"; }

export AWS_CLI="$cli_venv/bin/aws"

# One run of each command with the request log kept: calls, duplicates, the dependency chain.
logged() {
  curl -s -X POST "$front/_front/reset" >/dev/null
  $1 || true
  curl -s "$front/_front/requests" >"$out/$2.requests.json"
}
logged "$doctor" doctor
logged "bash bench/aws-cli-questions.sh" aws-cli
for n in 1 4 16; do logged "$(audit $n)" "audit-$n"; done

time_it() { hyperfine --style none --ignore-failure --runs "$1" --warmup 1 --export-json "$out/$2.time.json" "$3" >/dev/null; }
time_it "$RUNS" doctor "$doctor"
time_it 3 aws-cli "bash bench/aws-cli-questions.sh"
for n in 1 4 16; do time_it "$RUNS" "audit-$n" "$(audit $n)"; done
hyperfine --style none --runs 30 --warmup 3 -N --export-json "$out/version.time.json" "$bin --version" >/dev/null
/usr/bin/time -f %M -o "$out/doctor.maxrss" $doctor || true

python3 bench/report.py "$out" "$LATENCY_MS" "$PROFILE"
