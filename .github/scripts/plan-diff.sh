#!/usr/bin/env bash
# The offline plan of this checkout against the base branch's, per stack, for the plan comment.
# No cloud access: both plans run the program under mocks (scripts/plan.ts).
#   bash .github/scripts/plan-diff.sh <base checkout> <out dir> <stack>...
# For each stack writes <out dir>/<stack>.base.json (the base branch's plan), <out dir>/<stack>.diff.md
# (the report of `npm run plan -- <stack> --diff <base plan>`) and <out dir>/<stack>.diff.exit.
# A plan that fails (a config error, a broken program) becomes the report, with its output, so the
# comment shows why; the script exits 1 when a plan of this checkout failed.
set -uo pipefail

base_dir="$(cd "${1:?usage: plan-diff.sh <base checkout> <out dir> <stack>...}" && pwd)"
mkdir -p "${2:?usage: plan-diff.sh <base checkout> <out dir> <stack>...}"
out_dir="$(cd "$2" && pwd)"
shift 2
log="$(mktemp)"
trap 'rm -f "${log}"' EXIT

fence() {
  printf '```text\n'
  cat "$1"
  printf '```\n'
}

failed=0
for stack in "$@"; do
  base_plan="${out_dir}/${stack}.base.json"
  report="${out_dir}/${stack}.diff.md"
  if ! npm --prefix "${base_dir}" run --silent plan -- "${stack}" --quiet --out "${base_plan}" >"${log}" 2>&1; then
    # Nothing to compare against (the base branch cannot plan this stack); still check this checkout's plan.
    {
      echo "The base branch's plan of \`${stack}\` failed, so there is no comparison. Its output:"
      echo
      fence "${log}"
    } >"${report}"
    if npm run --silent plan -- "${stack}" --quiet >"${log}" 2>&1; then
      echo 0 >"${out_dir}/${stack}.diff.exit"
    else
      { echo; echo "The plan of \`${stack}\` on this pull request fails too:"; echo; fence "${log}"; } >>"${report}"
      echo 1 >"${out_dir}/${stack}.diff.exit"
      failed=1
    fi
  elif npm run --silent plan -- "${stack}" --quiet --diff "${base_plan}" >"${log}" 2>&1; then
    if [[ -f ".plan/${stack}.diff.md" ]]; then cp ".plan/${stack}.diff.md" "${report}"; else cp "${log}" "${report}"; fi
    echo 0 >"${out_dir}/${stack}.diff.exit"
  else
    { echo "The plan of \`${stack}\` fails on this pull request:"; echo; fence "${log}"; } >"${report}"
    echo 1 >"${out_dir}/${stack}.diff.exit"
    failed=1
  fi
  echo "::group::offline plan diff of ${stack}"
  cat "${report}"
  echo "::endgroup::"
done
exit "${failed}"
