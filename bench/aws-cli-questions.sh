#!/usr/bin/env bash
# The questions `doctor --model sonnet --model haiku --region us-east-1` asks, asked with the
# aws CLI one after another, as a person (or a script of aws calls) would. bench/run.sh times
# it against the same emulator and latency; the answers are thrown away and errors ignored
# (the runtime probes are meant to be refused).
set -uo pipefail
aws=${AWS_CLI:-aws}
role=arn:aws:iam::123456789012:role/engineering/claude-developer
region=us-east-1
q() { "$aws" --region "$region" "$@" >/dev/null 2>&1 || true; }

q sts get-caller-identity
q iam get-role --role-name claude-developer
q organizations describe-organization
q bedrock list-foundation-models
q bedrock list-inference-profiles
q bedrock get-use-case-for-model-access
q service-quotas list-service-quotas --service-code bedrock
q service-quotas list-aws-default-service-quotas --service-code bedrock
for model in anthropic.claude-sonnet-4-6 anthropic.claude-haiku-4-5-20251001-v1:0; do
  profile="arn:aws:bedrock:$region:123456789012:inference-profile/us.$model"
  q bedrock get-foundation-model-availability --model-id "$model"
  q iam simulate-principal-policy --policy-source-arn "$role" \
    --action-names bedrock:InvokeModel bedrock:InvokeModelWithResponseStream --resource-arns "$profile" \
    --context-entries "ContextKeyName=aws:RequestedRegion,ContextKeyValues=$region,ContextKeyType=string"
  for destination in us-east-1 us-east-2 us-west-2; do
    q iam simulate-principal-policy --policy-source-arn "$role" \
      --action-names bedrock:InvokeModel bedrock:InvokeModelWithResponseStream \
      --resource-arns "arn:aws:bedrock:$destination::foundation-model/$model" \
      --context-entries "ContextKeyName=aws:RequestedRegion,ContextKeyValues=$destination,ContextKeyType=string" \
      "ContextKeyName=bedrock:InferenceProfileArn,ContextKeyValues=$profile,ContextKeyType=string"
  done
  for call in invoke-model invoke-model-with-response-stream; do
    q bedrock-runtime "$call" --model-id "us.$model" --body '{"anthropic_version":"bedrock-2023-05-31"}' /dev/null
  done
done
