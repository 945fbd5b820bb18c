# Sourced by scripts/sandbox.sh and bench/run.sh: starts moto and the front server on loopback
# and stops them (and removes $work) on exit. Needs bash scripts/emulator-setup.sh and the
# front_server example built first.
#   start_emulator [LATENCY_MS]   sets $work, $moto and $front, seeds the demo developer and
#                                 exports its session (see scripts/sandbox_seed.py)

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
  echo "emulator: gave up waiting for $file" >&2
  cat "$file" >&2
  return 1
}

start_emulator() {
  local latency_ms=${1:-0}
  target/emulator/venv/bin/moto_server -H 127.0.0.1 -p 0 >"$work/moto.log" 2>&1 &
  pids+=($!)
  moto=$(wait_for_url "$work/moto.log" 'Running on http://127\.0\.0\.1:[0-9]*')
  target/debug/examples/front_server --upstream "$moto" --scenario tests/fixtures/account.json \
    --latency-ms "$latency_ms" >"$work/front.log" 2>&1 &
  pids+=($!)
  front=$(wait_for_url "$work/front.log" 'listening on http://127\.0\.0\.1:[0-9]*')
  eval "$(target/emulator/venv/bin/python scripts/sandbox_seed.py "$moto")"
}
