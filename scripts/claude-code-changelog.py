#!/usr/bin/env python3
"""List the Claude Code CHANGELOG entries that src/claude_code/facts.json has not reviewed yet
and that may change a fact: those that mention Bedrock, Mantle, AWS or a model.

    scripts/claude-code-changelog.py path/to/claude-code/CHANGELOG.md [--since 2.1.240]

The CHANGELOG is anthropics/claude-code's CHANGELOG.md ("## 2.1.241" headings, "- ..."
entries). Without --since, the versions after facts.json's reviewed_through are listed. After
reading them: update the facts (each with its source, "CHANGELOG <version>: <line>"), set
reviewed_through to the newest version read, and run the tests. Reads files only; no network.
"""

import argparse
import json
import re
import sys
from pathlib import Path

FACTS = Path(__file__).resolve().parent.parent / "src" / "claude_code" / "facts.json"

HEADING = re.compile(r"^#{1,3}\s*\[?v?(\d+)\.(\d+)\.(\d+)\]?")
RELEVANT = re.compile(
    r"bedrock|mantle|\baws\b|aws_|anthropic_model|anthropic_default_|small_fast|"
    r"\bopus\b|\bsonnet\b|\bhaiku\b|\bfable\b|claude-[a-z]+-\d|\[1m\]|1m context|"
    r"inference profile|region|govcloud|model",
    re.IGNORECASE,
)


def version(text):
    parts = text.strip().lstrip("v").split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"'{text}' is not a version like 2.1.240")
    return tuple(int(p) for p in parts)


def entries(lines):
    """(version, entry) for each entry under a version heading; a wrapped entry is joined."""
    current, entry = None, None
    for line in lines:
        heading = HEADING.match(line)
        if heading:
            if entry is not None:
                yield current, entry
            current, entry = tuple(int(g) for g in heading.groups()), None
            continue
        if current is None:
            continue
        stripped = line.strip()
        if stripped.startswith(("- ", "* ")):
            if entry is not None:
                yield current, entry
            entry = stripped[2:].strip()
        elif stripped and entry is not None:
            entry += " " + stripped
        elif not stripped and entry is not None:
            yield current, entry
            entry = None
    if entry is not None:
        yield current, entry


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("changelog", type=Path, help="Claude Code's CHANGELOG.md")
    parser.add_argument(
        "--since",
        type=version,
        help="list versions after this one (default: reviewed_through in facts.json)",
    )
    parser.add_argument("--facts", type=Path, default=FACTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    since = args.since
    if since is None:
        try:
            since = version(json.loads(args.facts.read_text())["reviewed_through"])
        except (OSError, KeyError, ValueError, argparse.ArgumentTypeError) as error:
            print(f"error: cannot read reviewed_through from {args.facts}: {error}", file=sys.stderr)
            return 2
    try:
        text = args.changelog.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: cannot read {args.changelog}: {error}", file=sys.stderr)
        return 2
    lines = text.splitlines()
    headings = [tuple(int(g) for g in m.groups()) for m in map(HEADING.match, lines) if m]
    if not headings:
        print(f"error: {args.changelog} has no version headings (## 2.1.241)", file=sys.stderr)
        return 2
    found = [(v, e) for v, e in entries(lines) if v > since and RELEVANT.search(e)]
    shown = ".".join(map(str, since))
    newest = ".".join(map(str, max(headings)))
    if not found:
        print(f"Nothing after {shown} (through {newest}) mentions Bedrock, Mantle, AWS or a model.")
    else:
        print(f"Entries after {shown} (through {newest}) that may change a fact: {len(found)}")
        for v, entry in sorted(found, key=lambda pair: pair[0]):
            print(f"CHANGELOG {'.'.join(map(str, v))}: {entry}")
    if max(headings) > since:
        print(
            f"\nOnce src/claude_code/facts.json holds what these change (each fact with its source), "
            f"set its reviewed_through to {newest}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
