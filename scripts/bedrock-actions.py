"""Writes src/policy/bedrock-actions.txt: the operations of every botocore service that signs
as `bedrock`, which are the names of the `bedrock:` IAM actions (Converse and ConverseStream
aside: they are authorized as InvokeModel and InvokeModelWithResponseStream, and policy
validation says so). Run with the emulator's Python after upgrading moto:

    target/emulator/venv/bin/python scripts/bedrock-actions.py
"""

import pathlib

import botocore
import botocore.session

session = botocore.session.get_session()
actions = set()
for name in session.get_available_services():
    model = session.get_service_model(name)
    if model.metadata.get("signingName") == "bedrock":
        actions.update(model.operation_names)

out = pathlib.Path(__file__).resolve().parent.parent / "src/policy/bedrock-actions.txt"
out.write_text(
    f"# bedrock: IAM actions from botocore {botocore.__version__} (scripts/bedrock-actions.py)\n"
    + "".join(f"{a}\n" for a in sorted(actions))
)
print(f"{len(actions)} actions written to {out}")
