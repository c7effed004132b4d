#!/usr/bin/env bash
# The whole job on this machine, without Docker: PostgreSQL and the SQS emulator up, login-queue and its
# dead-letter queue created, the sample messages sent, drained into user_logins, and the result shown.
# KEEP_SERVICES=1 leaves the services running and prints how to reach them.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=services.sh
. scripts/services.sh
if [ "${KEEP_SERVICES:-0}" != 1 ]; then trap loginetl_services_down EXIT; fi
loginetl_services_up

echo "== building login-etl (Release, as the image is)"
dotnet publish src/LoginEtl.Worker -c Release --use-current-runtime --self-contained false -o "$LOGINETL_RUN_DIR/app" -v quiet -nologo
export PATH="$LOGINETL_RUN_DIR/app:$PATH"
# A key of this run's own (printed below with KEEP_SERVICES=1): production keys come from a secret store.
export Health__Port=${Health__Port:-0}
Masking__Key=${Masking__Key:-$(login-etl keygen)}
export Masking__Key

echo "== creating login-queue and login-queue-dlq (redrive after 5 receives)"
loginetl_create_queue login-queue login-queue-dlq 5

echo "== login-etl migrate"
login-etl migrate
echo "== login-etl produce samples/login-events.jsonl"
login-etl produce samples/login-events.jsonl
echo "== login-etl run --drain"
login-etl run --drain

psql_loginetl() { "$LOGINETL_PGBIN/psql" -h 127.0.0.1 -p "$LOGINETL_PGPORT" -U postgres -d loginetl "$@"; }
echo "== user_logins: $(psql_loginetl -Atc 'SELECT count(*) FROM user_logins') rows, the first 10:"
psql_loginetl -c "SELECT * FROM user_logins ORDER BY create_date, user_id LIMIT 10"
echo "== login-queue-dlq holds $(loginetl_queue_depth login-queue-dlq) dead letters; login-queue holds $(loginetl_queue_depth login-queue)"

if [ "${KEEP_SERVICES:-0}" = 1 ]; then
  echo "== services left running; to reach them:"
  for name in PATH Masking__Key ConnectionStrings__LoginDb Sqs__ServiceUrl AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_EC2_METADATA_DISABLED MASSTRANSIT_USAGE_TELEMETRY LOGINETL_RUN_DIR LOGINETL_PGBIN LOGINETL_PGDATA LOGINETL_PGPORT; do
    printf 'export %s=%q\n' "$name" "${!name}"
  done
  echo "# stop them with: . scripts/services.sh && LOGINETL_RUN_DIR=$LOGINETL_RUN_DIR LOGINETL_PGBIN=$LOGINETL_PGBIN LOGINETL_PGDATA=$LOGINETL_PGDATA loginetl_services_down"
fi
