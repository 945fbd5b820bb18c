#!/usr/bin/env bash
# Time and peak memory of bedrock-preflight on hostile input files, with GNU time: Claude Code's
# settings file as a link to /dev/zero and as a FIFO (git can commit both into a project), and
# /dev/zero and a 50 MB file as a policy. A script to run by hand, not a test.
#
#   bash bench/hostile.sh                        the debug build of this checkout
#   BIN=path/to/bedrock-preflight bash bench/hostile.sh   that binary (an older one, to compare)
#
# Each run is capped at 20 s and 3 GB of address space, so a binary without the bounds shows
# where the cap stopped it (exit 124 for the time cap, an allocation failure for the memory one).
# Nothing is sent anywhere: every AWS endpoint is a closed loopback port.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ -z "${BIN:-}" ]; then
  cargo build --quiet --bin bedrock-preflight
  BIN=target/debug/bedrock-preflight
fi
BIN=$(realpath "$BIN")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/zero/.claude" "$work/fifo/.claude" "$work/home"
ln -s /dev/zero "$work/zero/.claude/settings.json"
mkfifo "$work/fifo/.claude/settings.json"
# A valid policy of about 50 MB: half a million statements.
awk 'BEGIN { printf "{\"Version\": \"2012-10-17\", \"Statement\": ["
  for (i = 0; i < 500000; i++) {
    if (i) printf ","
    printf "{\"Effect\": \"Allow\", \"Action\": \"bedrock:InvokeModel\", \"Resource\": \"arn:aws:bedrock:us-east-1::foundation-model/m%d\"}", i
  }
  printf "]}" }' >"$work/large.json"

measure() { # name, directory, arguments...
  local name=$1 dir=$2
  shift 2
  local report="$work/time.txt"
  (
    cd "$dir" && ulimit -v 3000000 &&
      HOME="$work/home" AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=http://127.0.0.1:9 \
        AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=example AWS_REGION=us-east-1 \
        timeout 20 /usr/bin/time -f '%e %M' -o "$report" "$BIN" "$@" --timeout 2 >/dev/null 2>&1
  )
  local code=$?
  local wall rss
  # GNU time puts "Command exited with non-zero status N" before the figures.
  read -r wall rss < <(tail -n 1 "$report" 2>/dev/null) || true
  [[ $rss =~ ^[0-9]+$ ]] || { wall=">20"; rss=0; }
  printf '| %-44s | %4s | %6s s | %7s MB |\n' "$name" "$code" "$wall" "$((rss / 1024))"
}

echo "| case | exit | wall | peak RSS |"
echo "|---|---|---|---|"
measure "doctor, .claude/settings.json -> /dev/zero" "$work/zero" doctor --no-probe --claude-code
measure "doctor, .claude/settings.json a FIFO" "$work/fifo" doctor --no-probe --claude-code
measure "policy evaluate --policy /dev/zero" "$work" policy evaluate --policy /dev/zero \
  --action bedrock:InvokeModel --resource '*'
measure "policy evaluate --policy large.json (50 MB)" "$work" policy evaluate --policy large.json \
  --action bedrock:InvokeModel --resource '*'
