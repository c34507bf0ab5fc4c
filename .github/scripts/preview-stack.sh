#!/usr/bin/env bash
# `pulumi preview --diff` of a stack with the policy pack, into a file for the plan comment:
#   bash .github/scripts/preview-stack.sh <stack> <out dir>
# Writes <out dir>/<stack>.preview.txt and <out dir>/<stack>.preview.exit and exits with the
# preview's status. A stack that does not exist yet (before its first deploy) has no state to
# preview against: the file says so, with status 0; the offline plan shows what would be created.
set -uo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

stack="${1:?usage: preview-stack.sh <stack> <out dir>}"
out_dir="${2:?usage: preview-stack.sh <stack> <out dir>}"
mkdir -p "${out_dir}"
report="${out_dir}/${stack}.preview.txt"

if ! stack_exists "${stack}"; then
  echo "Stack ${stack} does not exist yet: its first deploy creates it (see the offline plan for what it would create)." | tee "${report}"
  echo 0 >"${out_dir}/${stack}.preview.exit"
  exit 0
fi

pulumi preview --stack "${stack}" --diff --policy-pack policy --non-interactive --color never --suppress-progress >"${report}" 2>&1
status=$?
echo "${status}" >"${out_dir}/${stack}.preview.exit"
cat "${report}"
exit "${status}"
