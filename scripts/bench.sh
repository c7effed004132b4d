#!/usr/bin/env bash
# The benchmark on this machine: PostgreSQL and the SQS emulator up (as for the tests), login-etl and the benchmark
# built in Release, then login-etl-bench with the arguments given (e.g. --json --messages 100000 --sqs-latency-ms 0).
# It works on queues and a database schema of its own. KEEP_SERVICES=1 leaves the services running.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=services.sh
. scripts/services.sh
if [ "${KEEP_SERVICES:-0}" != 1 ]; then trap loginetl_services_down EXIT; fi
loginetl_services_up

echo "== building login-etl and login-etl-bench (Release)" >&2
dotnet publish bench/LoginEtl.Bench -c Release --use-current-runtime --self-contained false -o "$LOGINETL_RUN_DIR/bench" -v quiet -nologo >&2
export Health__Port=${Health__Port:-0}
Masking__Key=${Masking__Key:-$(dotnet "$LOGINETL_RUN_DIR/bench/login-etl.dll" keygen)}
export Masking__Key
"$LOGINETL_RUN_DIR/bench/login-etl-bench" "$@"
