#!/usr/bin/env bash
# Runs every test: unit tests, and integration tests against a real PostgreSQL and SQS emulator
# that this script installs if needed and starts on free loopback ports, with the operations tools the tests
# run for real (Prometheus, promtool, ShellCheck; kubectl where installed). Extra arguments go to dotnet test.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=services.sh
. scripts/services.sh
trap loginetl_services_down EXIT
loginetl_install_test_tools
loginetl_services_up

dotnet test LoginEtl.sln -c Release --logger "console;verbosity=normal" "$@"
