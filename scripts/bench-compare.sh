#!/usr/bin/env bash
# scripts/bench-compare.sh REV_A REV_B [RUNS]: builds two revisions side by side (git worktrees of this clone, Release)
# and runs their benchmarks alternately, A, B, A, B, ..., RUNS times each (3 by default), on one PostgreSQL and one
# emulator started for all runs; then prints, for each figure both report, the median of each and the change from A
# to B. This machine's speed drifts from minute to minute: only runs taken in turn, in one sitting, compare.
# BENCH_ARGS holds the benchmark's options (default: --messages 100000 --sqs-latency-ms 0 --idle-seconds 5).
# A revision from before the benchmark had a project of its own is run as `login-etl bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: scripts/bench-compare.sh REV_A REV_B [RUNS]" >&2
  exit 2
fi
runs=${3:-3}
read -r -a bench_args <<< "${BENCH_ARGS:---messages 100000 --sqs-latency-ms 0 --idle-seconds 5}"
work=$(mktemp -d)

cleanup() {
  loginetl_services_down
  for side in a b; do git worktree remove --force "$work/$side-src" 2>/dev/null || true; done
  rm -rf "$work"
}

# shellcheck source=services.sh
. scripts/services.sh
trap cleanup EXIT
loginetl_services_up

# build SIDE REV: the revision's benchmark in $work/SIDE, and the command that runs it in $work/SIDE.cmd.
build() {
  local side=$1 rev=$2 src="$work/$1-src"
  git worktree add --detach --quiet "$src" "$rev"
  echo "== $side: $rev ($(git -C "$src" log -1 --format='%h %s' | cut -c1-70))" >&2
  if [ -d "$src/bench/LoginEtl.Bench" ]; then
    dotnet publish "$src/bench/LoginEtl.Bench" -c Release --use-current-runtime --self-contained false -o "$work/$side" -v quiet -nologo >&2
    echo "$work/$side/login-etl-bench" > "$work/$side.cmd"
  else
    dotnet publish "$src/src/LoginEtl.Worker" -c Release --use-current-runtime --self-contained false -o "$work/$side" -v quiet -nologo >&2
    echo "$work/$side/login-etl bench" > "$work/$side.cmd"
  fi
}
build a "$1"
build b "$2"

export Health__Port=0
Masking__Key=${Masking__Key:-$(dotnet "$work/a/login-etl.dll" keygen)}
export Masking__Key

for run in $(seq 1 "$runs"); do
  for side in a b; do
    echo "== run $run of $runs: $side" >&2
    read -r -a command < "$work/$side.cmd"
    if ! "${command[@]}" --json "${bench_args[@]}" > "$work/$side-$run.json" 2> "$work/$side-$run.log"; then
      echo "bench-compare: the benchmark of $side failed (run $run):" >&2
      tail -n 20 "$work/$side-$run.log" >&2
      exit 1
    fi
  done
done

echo "A = $1, B = $2; medians of $runs runs each, taken in turn (${bench_args[*]})"
node - "$work" "$runs" <<'JS'
const fs = require("fs");
const [work, runs] = process.argv.slice(2);
const read = side => Array.from({ length: Number(runs) }, (_, i) => JSON.parse(fs.readFileSync(`${work}/${side}-${i + 1}.json`, "utf8")));
const [a, b] = [read("a"), read("b")];
const median = values => { const s = [...values].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
// Every figure either side reports; one the other side does not (an older build's bench) shows as "-".
const figures = [...new Set([...Object.keys(a[0]), ...Object.keys(b[0])])].filter(k => typeof (a[0][k] ?? b[0][k]) === "number");
const pad = (text, width) => String(text).padStart(width);
console.log(`${"figure".padEnd(28)}${pad("A", 12)}${pad("B", 12)}${pad("change", 10)}   runs A | runs B`);
for (const figure of figures) {
  const values = runs => runs.map(r => r[figure]).filter(v => typeof v === "number");
  const [va, vb] = [values(a), values(b)];
  const [ma, mb] = [va.length ? median(va) : "-", vb.length ? median(vb) : "-"];
  const change = typeof ma !== "number" || typeof mb !== "number" || ma === 0 ? "" : `${mb >= ma ? "+" : ""}${((mb - ma) / ma * 100).toFixed(1)} %`;
  console.log(`${figure.padEnd(28)}${pad(ma, 12)}${pad(mb, 12)}${pad(change, 10)}   ${va.join(" ") || "-"} | ${vb.join(" ") || "-"}`);
}
JS
