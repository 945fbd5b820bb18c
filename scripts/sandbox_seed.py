"""Seeds the sandbox's moto with a demo developer and prints shell exports of a session for it.

The demo account (moto's 123456789012) gets an IAM user `demo-dev` who may assume the role
`engineering/claude-developer`, as a developer signed in through IAM Identity Center would.
The printed credentials are moto's, valid only against this emulator; the caller evals them
rather than showing them.
"""

import json
import shlex
import sys

import boto3

endpoint = sys.argv[1]
session = boto3.Session(aws_access_key_id="AKIASANDBOXSEED00000", aws_secret_access_key="sandbox-seed", region_name="us-east-1")
iam = session.client("iam", endpoint_url=endpoint)

trust = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}],
}
role = iam.create_role(RoleName="claude-developer", Path="/engineering/", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
iam.create_user(UserName="demo-dev")
key = iam.create_access_key(UserName="demo-dev")["AccessKey"]

sts = boto3.client(
    "sts",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id=key["AccessKeyId"],
    aws_secret_access_key=key["SecretAccessKey"],
)
creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="demo-dev")["Credentials"]
for name, value in [
    ("AWS_ACCESS_KEY_ID", creds["AccessKeyId"]),
    ("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"]),
    ("AWS_SESSION_TOKEN", creds["SessionToken"]),
]:
    print(f"export {name}={shlex.quote(value)}")
