#!/usr/bin/env bash
# Writes deploy/k8s/components/alerts/prometheusrule.yaml from deploy/prometheus/alerts.yml, so that the Prometheus
# operator and the compose Prometheus load the same groups: run it after every change of the rules file (a test
# fails while the two differ). Kustomize cannot include one file in another, hence this copy.
set -euo pipefail
cd "$(dirname "$0")/.."

source=deploy/prometheus/alerts.yml
target=deploy/k8s/components/alerts/prometheusrule.yaml
{
  cat <<HEADER
# Written by scripts/prometheus-rule.sh from $source; edit that file, then run the script.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: login-etl
  namespace: login-etl
  labels:
    app.kubernetes.io/name: login-etl
spec:
HEADER
  # The rules file's own comments stay there; its lines move under spec:, two spaces in.
  grep -v '^#' "$source" | sed -e '/^$/!s/^/  /'
} >"$target"
echo "wrote $target"
