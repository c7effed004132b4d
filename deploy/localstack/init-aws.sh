#!/bin/bash
# LocalStack ready hook: the dead-letter queue, login-queue with its redrive policy, and the sample messages.
set -euo pipefail
awslocal sqs create-queue --queue-name login-queue-dlq >/dev/null
dlq_arn=$(awslocal sqs get-queue-attributes --queue-url http://localhost:4566/000000000000/login-queue-dlq \
  --attribute-names QueueArn --query Attributes.QueueArn --output text)
awslocal sqs create-queue --queue-name login-queue \
  --attributes "{\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"$dlq_arn\\\",\\\"maxReceiveCount\\\":\\\"5\\\"}\"}" >/dev/null
while IFS= read -r line; do
  [ -n "$line" ] && awslocal sqs send-message --queue-url http://localhost:4566/000000000000/login-queue --message-body "$line" >/dev/null
done </samples/login-events.jsonl
echo "login-queue ready with the sample messages"
