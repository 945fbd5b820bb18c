#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: installs the emulator if needed, checks
# formatting, runs every test and clippy (about 1 min after the test build), then the sandbox
# once end to end.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/emulator-setup.sh
# The action's summary and category steps are jq programs, run by the tests as the runner would.
if ! command -v jq >/dev/null; then
  echo "installing jq with apt-get ..." >&2
  apt-get update -qq >&2 && apt-get install -y -qq jq >&2
fi
cargo fmt --check
cargo nextest run --no-fail-fast
cargo clippy --all-targets --quiet -- -D warnings

# The standalone front server, the seed script and the binary, end to end.
report=$(bash scripts/sandbox.sh --output json)
echo "$report" | target/emulator/venv/bin/python -c '
import json, sys
report = json.load(sys.stdin)
identity = [f for f in report["findings"] if f["check"] == "identity.caller"][0]
assert identity["status"] == "pass", identity
assert report["target"]["principal"] == "arn:aws:iam::123456789012:role/engineering/claude-developer", report["target"]
print("sandbox: 1 passed, 0 failed")
'
# A command after global flags is passed through, not handed to doctor.
bash scripts/sandbox.sh --region eu-west-1 checks list --output json |
  target/emulator/venv/bin/python -c '
import json, sys
checks = json.load(sys.stdin)
assert any(c["id"] == "identity.caller" for c in checks), checks
print("sandbox: checks list passed through")
'
