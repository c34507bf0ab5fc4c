#!/usr/bin/env bash
# The hourly sweeper: destroys and removes every pr-<number> stack whose pull request is no longer
# open, or whose age passed its time to live, so a missed close event never leaks cost.
#   GITHUB_REPOSITORY=owner/repo bash .github/scripts/sweep-review-stacks.sh
# Age and time to live are stack tags the review workflow sets (Pulumi Cloud and, since Pulumi
# 3.211, the DIY backends keep stack tags):
#   review:created-at  RFC 3339 UTC time the stack was first deployed (set once);
#   review:ttl-hours   the stack's platform:review.ttlHours as the offline plan resolved it (default
#                      included), set on every deploy, so the sweeper needs no copy of the PR's files.
# A stack without review:created-at (created by hand, or by an older workflow) is stamped now and
# swept a time to live later; one without a valid review:ttl-hours is never swept for age (the
# sweeper says how to set it). Stacks with an update in progress are left for the next run.
# Destroys go through destroy-review-stack.sh (retries, then stack rm). No destroy starts after
# SWEEP_BUDGET_MINUTES (default 60): a job killed by its timeout in the middle of a destroy would
# leave the stack locked; what is left waits for the next run. Exit status 1 when a destroy
# failed; the other stacks are still swept.
set -euo pipefail
here="$(dirname "$0")"
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY (owner/repo) names the repository whose pull requests own the stacks}"

now="$(date -u +%s)"
budget_seconds=$((${SWEEP_BUDGET_MINUTES:-60} * 60))
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
echo "| Stack | Pull request | Age (h) | TTL (h) | Action |" >>"${summary}"
echo "|---|---|---|---|---|" >>"${summary}"

# Listed first, so that a backend that cannot be read fails the run instead of looking empty.
listing="$(pulumi stack ls --json)"
mapfile -t stacks < <(jq -r '.[] | select(.updateInProgress != true) | .name | split("/") | last | select(test("^pr-[0-9]+$"))' <<<"${listing}")
failures=0
for stack in "${stacks[@]}"; do
  pr="${stack#pr-}"
  state="$(gh api "repos/${GITHUB_REPOSITORY}/pulls/${pr}" --jq .state 2>/dev/null)" || state="unknown"

  created="$(pulumi stack tag get review:created-at --stack "${stack}" 2>/dev/null)" || created=""
  ttl_hours="$(pulumi stack tag get review:ttl-hours --stack "${stack}" 2>/dev/null)" || ttl_hours=""
  age_hours="?"
  expired=false
  if [[ -z "${created}" ]] || ! created_epoch="$(date -u -d "${created}" +%s 2>/dev/null)"; then
    stamp="$(date -u -d "@${now}" +%Y-%m-%dT%H:%M:%SZ)"
    echo "::warning::${stack} has no valid review:created-at tag (got '${created}'); stamping ${stamp}: its time to live counts from now"
    pulumi stack tag set review:created-at "${stamp}" --stack "${stack}" || echo "::warning::could not tag ${stack}"
  else
    age_hours=$(((now - created_epoch) / 3600))
    if [[ ! "${ttl_hours}" =~ ^[1-9][0-9]*$ ]]; then
      echo "::warning::${stack} has no valid review:ttl-hours tag (got '${ttl_hours}'): not swept for age. Set it with: pulumi stack tag set review:ttl-hours 72 --stack ${stack}"
      ttl_hours="?"
    elif ((now - created_epoch >= ttl_hours * 3600)); then
      expired=true
    fi
  fi

  reason=""
  if [[ "${state}" == "closed" ]]; then
    reason="pull request #${pr} is closed"
  elif [[ "${expired}" == true ]]; then
    reason="older than its time to live (${age_hours} h >= ${ttl_hours} h)"
  elif [[ "${state}" == "unknown" ]]; then
    echo "::warning::cannot read pull request #${pr} of ${GITHUB_REPOSITORY}; ${stack} is only swept for age"
  fi

  if [[ -z "${reason}" ]]; then
    echo "Keeping ${stack}: pull request #${pr} is ${state}, age ${age_hours} h, time to live ${ttl_hours} h."
    echo "| ${stack} | #${pr} (${state}) | ${age_hours} | ${ttl_hours} | kept |" >>"${summary}"
    continue
  fi
  if (($(date -u +%s) - now >= budget_seconds)); then
    echo "::notice::time budget of this run used: ${stack} (${reason}) is left for the next run"
    echo "| ${stack} | #${pr} (${state}) | ${age_hours} | ${ttl_hours} | next run: ${reason} |" >>"${summary}"
    continue
  fi
  echo "Sweeping ${stack}: ${reason}."
  if bash "${here}/destroy-review-stack.sh" "${stack}"; then
    echo "| ${stack} | #${pr} (${state}) | ${age_hours} | ${ttl_hours} | destroyed: ${reason} |" >>"${summary}"
    if [[ "${state}" == "open" ]]; then
      gh pr comment "${pr}" --repo "${GITHUB_REPOSITORY}" --body "The review stack \`${stack}\` was destroyed by the sweeper: ${reason}. Push a commit to create it again." ||
        echo "::warning::could not comment on pull request #${pr}"
    fi
  else
    failures=$((failures + 1))
    echo "| ${stack} | #${pr} (${state}) | ${age_hours} | ${ttl_hours} | destroy FAILED: ${reason} |" >>"${summary}"
  fi
done

if ((failures > 0)); then
  echo "::error::${failures} review stack(s) could not be destroyed; see above."
  exit 1
fi
