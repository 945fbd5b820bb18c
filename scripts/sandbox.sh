#!/usr/bin/env bash
# Shows bedrock-preflight working without an AWS account: starts moto and the front server on
# loopback, seeds a demo account, and runs `doctor` against it. Extra arguments go to doctor
# (e.g. --output json), or name another command (`policy render claude-invoke`, `setup ...`).
# SANDBOX_CLAUDE_SETTINGS=FILE makes FILE the sandbox user's ~/.claude/settings.json.
# Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/emulator-setup.sh
cargo build --quiet --bin bedrock-preflight --example front_server

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits until FILE has a line matching PATTERN; prints the URL in it.
wait_for_url() {
  local file=$1 pattern=$2
  for _ in $(seq 1 300); do
    url=$(grep -o "$pattern" "$file" 2>/dev/null | head -n 1 | grep -o 'http://127\.0\.0\.1:[0-9]*' || true)
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    sleep 0.1
  done
  echo "sandbox: gave up waiting for $file" >&2
  cat "$file" >&2
  return 1
}

target/emulator/venv/bin/moto_server -H 127.0.0.1 -p 0 >"$work/moto.log" 2>&1 &
pids+=($!)
moto=$(wait_for_url "$work/moto.log" 'Running on http://127\.0\.0\.1:[0-9]*')

target/debug/examples/front_server --upstream "$moto" --scenario tests/fixtures/account.json >"$work/front.log" 2>&1 &
pids+=($!)
front=$(wait_for_url "$work/front.log" 'listening on http://127\.0\.0\.1:[0-9]*')

eval "$(target/emulator/venv/bin/python scripts/sandbox_seed.py "$moto")"

# Claude Code's user settings for the run, when given (see examples/).
if [ -n "${SANDBOX_CLAUDE_SETTINGS:-}" ]; then
  mkdir -p "$work/.claude"
  cp "$SANDBOX_CLAUDE_SETTINGS" "$work/.claude/settings.json"
fi

case "${1:-}" in
  doctor | policy | setup | audit | checks) command=("$@") ;;
  *) command=(doctor "$@") ;;
esac
echo "sandbox: moto at $moto, front server at $front; running ${command[0]} as engineering/claude-developer" >&2
set +e
env -u AWS_PROFILE -u AWS_BEARER_TOKEN_BEDROCK \
  HOME="$work" AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" \
  AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="$front" AWS_REGION=us-east-1 \
  target/debug/bedrock-preflight "${command[@]}"
status=$?
set -e
exit $status
