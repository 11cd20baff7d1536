#!/usr/bin/env bash
# The quick start: one `cifix run` on a bundled toy project, end to end.
# It makes a throw-away git repository with a bare `origin`, a Python venv
# with pytest, a local GitHub stand-in, and uses a scripted agent; then cifix
# reproduces the failure, fixes it on a fix/ branch, pushes it, opens a draft
# PR against the stand-in and writes the report into ./outputs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
top="$(dirname "$here")"
work="$(mktemp -d -t cifix-demo-XXXXXX)"
trap 'kill "${stand_in:-0}" 2>/dev/null || true' EXIT

echo "demo: building cifix (the first build takes several minutes)" >&2
(cd "$top" && cargo build --quiet)
cifix="$top/target/debug/cifix"

echo "demo: a venv with pytest in $work/venv" >&2
python3 -m venv "$work/venv" && "$work/venv/bin/pip" install --quiet --disable-pip-version-check pytest
export PATH="$work/venv/bin:$PATH"

echo "demo: the project, its bare origin and the user's clone in $work" >&2
git init --quiet --bare -b main "$work/origin.git"
cp -r "$here/demo-project" "$work/shop"
git -C "$work/shop" init --quiet -b main
git -C "$work/shop" add -A
git -C "$work/shop" -c user.name=Demo -c user.email=demo@example.com commit --quiet -m "invoice totals"
git -C "$work/shop" remote add origin "$work/origin.git"
git -C "$work/shop" push --quiet -u origin main

python3 "$here/github-stand-in.py" "$work/port" & stand_in=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done

cd "$top"
"$cifix" run --info "$here/demo-info.json" --repo "$work/shop" \
  --agent-cmd "sh $here/demo-agent.sh {workdir} {prompt_file}" \
  --github-api-url "http://127.0.0.1:$(cat "$work/port")" --github-repo demo/shop \
  --outputs "$top/outputs" "$@"
branch="$(git -C "$work/origin.git" for-each-ref --format='%(refname:short)' 'refs/heads/fix/*' | head -n 1)"
echo "demo: the fix branch in origin, $branch:" >&2
git -C "$work/origin.git" log --format='  %h %s' "main..$branch" >&2
git -C "$work/origin.git" diff "main..$branch" >&2
