#!/usr/bin/env bash
# Where a replica's memory goes. Prints the resident set (RSS) of an idle `login-etl run` split by what holds it
# (/proc/PID/smaps: each assembly's and native library's mapped image, the JIT's W^X double mapping, anonymous
# memory), then drains MEMORY_MESSAGES messages (default 200,000, the bench's kind of traffic: 3 % invalid) with
# `login-etl run --drain` in a process of its own, RUNS times (default 3), each on fresh queues and a fresh
# database, and prints each drain's peak RSS ("Maximum resident set size" of /usr/bin/time -v).
#
#   scripts/memory.sh [RUNS]
#
# MEMORY_BUILD=release (default: `dotnet build -c Release`, run as `dotnet login-etl.dll`, the image's code) or
# readytorun (published with ReadyToRun, to compare). The collector's settings are the image's (Dockerfile: DOTNET_GCgen0size, DOTNET_GCRegionSize)
# unless the environment sets them (set them empty for the runtime's defaults). The probes and /metrics listen on a
# free port, as in a pod. Any other setting comes from the environment (e.g. Sqs__MaxInFlight=80).
# Uses the services of the environment when services.sh's variables are set (loginetl_services_up), else starts its
# own and stops them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
messages=${MEMORY_MESSAGES:-200000}
build=${MEMORY_BUILD:-release}

# shellcheck source=services.sh
. scripts/services.sh
work=$(mktemp -d /tmp/loginetl-memory.XXXXXX)
own_services=0
cleanup() {
  rm -rf "$work"
  if [ "$own_services" = 1 ]; then loginetl_services_down; fi
}
trap cleanup EXIT
if [ -z "${LOGINETL_PGPORT:-}" ] || [ -z "${LOGINETL_PG_ADMIN:-}" ] || [ -z "${Sqs__ServiceUrl:-}" ]; then
  own_services=1
  loginetl_services_up
fi

case "$build" in
  release)
    dotnet build src/LoginEtl.Worker -c Release -v quiet -nologo >/dev/null
    login_etl=(dotnet src/LoginEtl.Worker/bin/Release/net10.0/login-etl.dll) ;;
  readytorun)
    dotnet publish src/LoginEtl.Worker -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true \
      -o "$work/app" -v quiet -nologo >/dev/null
    login_etl=("$work/app/login-etl") ;;
  *) echo "MEMORY_BUILD is release or readytorun, not $build" >&2; exit 2 ;;
esac

Masking__Key=${Masking__Key:-$("${login_etl[@]}" keygen)}
export Masking__Key
# The collector's settings read from the Dockerfile's ENV, unless the environment sets them; an empty value leaves the
# runtime's default.
gc_settings=()
while read -r setting; do
  name=${setting%%=*}
  gc_settings+=("$name")
  [ -n "${!name+set}" ] || export "${setting?}"
  [ -n "${!name}" ] || unset "$name"
done < <(grep -oE 'DOTNET_GC[A-Za-z0-9]+=[^ \\]+' Dockerfile)

# A database and a queue pair of their own for one measurement: NAME becomes the queue, NAME-dlq its dead letters.
fresh_setup() {
  local name=$1
  "$LOGINETL_PGBIN/psql" -q -h 127.0.0.1 -p "$LOGINETL_PGPORT" -U postgres -d postgres -c "CREATE DATABASE $name" >/dev/null
  export ConnectionStrings__LoginDb="${LOGINETL_PG_ADMIN/Database=postgres/Database=$name}"
  export Sqs__QueueName=$name Sqs__DeadLetterQueueName=$name-dlq
  loginetl_create_queue "$name" "$name-dlq" 5
  "${login_etl[@]}" migrate >/dev/null
}

# Login events like the bench's (SampleTraffic): a third of the locales null, 3 % invalid in six ways.
# shellcheck disable=SC2016 # ${...} here are JavaScript's template strings
node -e '
  let seed = 42;
  const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296;
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo));
  const pick = values => values[int(0, values.length)];
  const hex = n => Array.from({ length: n }, () => int(0, 16).toString(16)).join("");
  const locales = ["RU", "PH", "US", "DE", "BR", "ID", "FR", "IN", "JP", null, null, null];
  const versions = ["2.3.0", "0.96", "2.00", "0.2.6", "0.26", "2.6", "4.7.1", "3.4", "5.0", "1.12.3"];
  const lines = [];
  for (let i = 0; i < Number(process.argv[1]); i++) {
    const login = { user_id: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`, app_version: pick(versions),
      device_type: pick(["android", "ios"]), ip: `${int(1, 224)}.${int(0, 256)}.${int(0, 256)}.${int(1, 255)}`,
      locale: pick(locales), device_id: `${int(100, 1000)}-${int(10, 100)}-${int(1000, 10000)}` };
    const invalid = rnd() < 0.03 ? int(0, 6) : -1;
    lines.push([
      () => "{\"foo\": \"oops_wrong_msg_type\", \"bar\": \"123\"}", () => "not json at all",
      () => JSON.stringify({ ...login, app_version: "abc" }), () => JSON.stringify({ ...login, user_id: 12345 }),
      () => JSON.stringify({ ...login, locale: "x".repeat(40) }), () => JSON.stringify(login).slice(0, 40),
    ][invalid]?.() ?? JSON.stringify(login));
  }
  console.log(lines.join("\n"));' "$messages" >"$work/logins.jsonl"

# The resident set of PID by what holds it, in MiB.
breakdown() {
  awk '
    /^[0-9a-f]+-[0-9a-f]+ / { path = $6; for (i = 7; i <= NF; i++) path = path " " $i; next }
    /^Rss:/ {
      kb = $2; name = path; sub(/.*\//, "", name)
      if (path ~ /doublemapper/) part = "W^X double mapping (JIT code and stubs)"
      else if (path ~ /\.dll$/) { part = "assemblies (.dll images)"; file[name] += kb }
      else if (path ~ /\.so/) { part = "native libraries (.so)"; file[name] += kb }
      else if (path == "" || path ~ /^\[(heap|stack)/) part = "anonymous (GC heap, native heap, stacks)"
      else { part = "other"; file[path] += kb }
      parts[part] += kb; total += kb
    }
    END {
      printf "  %-44s %7.1f MiB\n", "total", total / 1024
      for (p in parts) printf "  %-44s %7.1f MiB\n", p, parts[p] / 1024
      print "  largest images:"
      for (f in file) if (file[f] >= 512) printf "    %6.1f MiB  %s\n", file[f] / 1024, f | "sort -rn"
      close("sort -rn")
    }' "/proc/$1/smaps"
  grep -E '^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem):' "/proc/$1/status" | sed 's/^/  /'
}

echo "== build: $build; $messages messages per drain; Sqs__MaxInFlight=${Sqs__MaxInFlight:-default};" \
  "$(for name in "${gc_settings[@]}"; do printf '%s=%s ' "$name" "${!name:-default}"; done)"
fresh_setup "memory_$$_idle"
port=$(loginetl_free_port)
Health__Port=$port "${login_etl[@]}" run >"$work/idle.log" 2>&1 &
idle_pid=$!
deadline=$((SECONDS + 60))
until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null; do
  if [ $SECONDS -ge $deadline ] || ! kill -0 "$idle_pid" 2>/dev/null; then cat "$work/idle.log" >&2; exit 1; fi
  sleep 0.5
done
# A few long polls, a queue-depth poll and a probe later: what an idle replica holds.
sleep 20
curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null
echo "== idle run (pid $idle_pid), resident set:"
breakdown "$idle_pid"
# The runtime's own view, from /metrics: the managed heap after the last collection, and what the JIT compiled.
curl -sf "http://127.0.0.1:$port/metrics" | awk '
  /^dotnet_gc_last_collection_heap_size_bytes/ { heap += $2 }
  /^dotnet_gc_last_collection_memory_committed_size_bytes/ { committed = $2 }
  /^dotnet_jit_compiled_methods_total/ { methods = $2 }
  END { printf "  managed heap %.1f MiB (committed %.1f MiB); %d methods compiled by the JIT\n", heap / 1048576, committed / 1048576, methods }'
kill -TERM "$idle_pid"
wait "$idle_pid" || true

for run in $(seq 1 "$runs"); do
  fresh_setup "memory_$$_$run"
  "${login_etl[@]}" produce "$work/logins.jsonl" 2>/dev/null >/dev/null
  Health__Port=$(loginetl_free_port) /usr/bin/time -v -o "$work/time.txt" "${login_etl[@]}" run --drain >"$work/drain.log" 2>&1 \
    || { cat "$work/drain.log" "$work/time.txt" >&2; exit 1; }
  awk -v run="$run" -F': ' '
    /Maximum resident set size/ { rss = $2 } /Elapsed \(wall clock\)/ { wall = $2 }
    /User time/ { user = $2 } /System time/ { sys = $2 }
    END { printf "== drain %d: peak RSS %.1f MiB, wall %s, CPU %.1f s\n", run, rss / 1024, wall, user + sys }' "$work/time.txt"
done
