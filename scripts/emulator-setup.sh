#!/usr/bin/env bash
# Installs the local AWS emulator (moto, pinned) into target/emulator/venv, once. Idempotent:
# does nothing when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.5
VENV=target/emulator/venv

if [ -x "$VENV/bin/moto_server" ] && [ "$("$VENV/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" = "$MOTO_VERSION" ]; then
  exit 0
fi

echo "Installing moto[server]==$MOTO_VERSION into $VENV ..." >&2
mkdir -p target/emulator
if ! python3 -m venv --clear "$VENV" >/dev/null 2>&1; then
  # Debian's own python3 ships venv separately.
  echo "python3 -m venv failed; installing python3-venv with apt-get ..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
  python3 -m venv --clear "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
"$VENV/bin/moto_server" --help >/dev/null
