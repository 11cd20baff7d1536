#!/usr/bin/env bash
# Whole-program figures for `cifix parse-logs` with the release binary:
#   - peak memory (max RSS, /usr/bin/time -v) on the 100 MB GitHub Actions log
#     that `cargo bench -p cifix-host --bench parse` generates;
#   - hyperfine of a few corpus logs, cold (empty component cache) and warm;
#   - the binary's size.
# Usage: bench/cli.sh [CORPUS_LOG ...]   (run from the repository root after
#   `cargo build --release -p cifix` and `cargo bench -p cifix-host --bench parse`)
# Needs: GNU time (/usr/bin/time), hyperfine (`apt-get install -y hyperfine`).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/cifix
big=target/bench-data/gh-100MB.log
[ -x "$bin" ] || { echo "build first: cargo build --release -p cifix" >&2; exit 2; }
[ -f "$big" ] || { echo "generate $big first: cargo bench -p cifix-host --bench parse" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "install hyperfine: apt-get install -y hyperfine" >&2; exit 2; }

cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export CIFIX_CACHE_DIR=$cache

echo "== binary size"
stat -c '%s bytes' "$bin" | awk '{printf "%s: %.1f MiB (%s bytes)\n", "'"$bin"'", $1/1048576, $1}'

echo "== peak memory: $bin parse-logs $big --json"
"$bin" parse-logs "$big" --json >/dev/null # fill the component cache
/usr/bin/time -v "$bin" parse-logs "$big" --json 2>&1 >/dev/null |
  grep -E 'Maximum resident set size|Elapsed \(wall clock\)'
echo "log size: $(stat -c %s "$big") bytes"

if [ $# -eq 0 ]; then
  set -- /work/shared/corpus/logchunks/logs/Python/*/failed/*.log
  set -- "$1" /work/shared/corpus/logchunks/logs/Java/*/failed/*.log
  set -- "$1" "$2" /work/shared/corpus/logchunks/logs/PHP/symfony@symfony/failed/567055431.log
  set -- "$1" "$2" "$3"
fi
for log in "$@"; do
  echo "== hyperfine: $log ($(stat -c %s "$log") bytes)"
  hyperfine -N --warmup 2 --runs 20 --export-markdown /dev/stdout \
    "$bin parse-logs $log --json" 2>/dev/null | tail -3
done
echo "== cold start (component compiled, empty cache each run): $1"
# (-N runs --prepare without a shell too: no globs there)
hyperfine -N --runs 5 --prepare "rm -rf $cache" "$bin parse-logs $1 --json" 2>/dev/null | grep -E 'Time|Range'
echo "== warm start, same log"
hyperfine -N --warmup 2 --runs 20 "$bin parse-logs $1 --json" 2>/dev/null | grep -E 'Time|Range'
