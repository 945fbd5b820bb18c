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

source scripts/emulator-lib.sh
start_emulator

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
