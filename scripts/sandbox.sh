#!/usr/bin/env bash
# Shows bedrock-preflight working without an AWS account: starts moto and the front server on
# loopback, seeds a demo account, and runs `doctor` against it. Extra arguments go to doctor
# (e.g. --output json), or name another command (`policy render claude-invoke`,
# `--region eu-west-1 audit`, `mcp`).
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

# Any of the tool's commands, wherever it stands among the arguments (global flags may come
# first: --region eu-west-1 audit), runs as given; without one, doctor. The names come from
# the binary's own help, so a new command needs no change here.
mapfile -t commands < <(target/debug/bedrock-preflight --help |
  sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
command=(doctor "$@")
name=doctor
for arg in "$@"; do
  for known in "${commands[@]}"; do
    if [ "$arg" = "$known" ]; then command=("$@"); name=$arg; break 2; fi
  done
done
echo "sandbox: moto at $moto, front server at $front; running $name as engineering/claude-developer" >&2
set +e
env -u AWS_PROFILE -u AWS_BEARER_TOKEN_BEDROCK \
  HOME="$work" AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" \
  AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="$front" AWS_REGION=us-east-1 \
  target/debug/bedrock-preflight "${command[@]}"
status=$?
set -e
exit $status
