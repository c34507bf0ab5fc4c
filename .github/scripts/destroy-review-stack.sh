#!/usr/bin/env bash
# Destroys a review stack and removes it from the backend, for the pull request's close event and
# the sweeper:
#   bash .github/scripts/destroy-review-stack.sh pr-<number>
# `pulumi destroy --refresh` first reads what still exists (a namespace a controller already
# deleted, an image tag that expired), then deletes the rest. A destroy that fails is retried:
# the usual causes are transient (a namespace still Terminating on finalizers, ENIs the load
# balancer controller releases late, throttling). Only a stack that destroyed cleanly is removed;
# `pulumi stack rm` without --force refuses a stack that still holds resources, on purpose. (The
# pulumi action's `remove: true` is not awaited in v6/v7, so its failure would go unnoticed.)
# Only pr-<number> stacks: this script never touches dev or prod.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

stack="${1:-}"
if [[ ! "${stack}" =~ ^pr-[0-9]+$ ]]; then
  echo "::error::refusing to destroy stack '${stack}': this script destroys review stacks only (pr-<number>)" >&2
  exit 2
fi
attempts="${DESTROY_ATTEMPTS:-3}"
delay_seconds="${DESTROY_RETRY_DELAY_SECONDS:-60}"

if ! stack_exists "${stack}"; then
  echo "Stack ${stack} does not exist (never deployed, or already removed): nothing to destroy."
  exit 0
fi

# destroy does not run the program, but the stack needs a stack file: the review template, as
# review-stack.yml writes it (the secrets provider comes from the state, with
# PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true).
if [[ ! -f "Pulumi.${stack}.yaml" ]]; then
  cp .github/review-stack.config.yaml "Pulumi.${stack}.yaml"
fi

for ((attempt = 1; ; attempt++)); do
  if pulumi destroy --stack "${stack}" --refresh --yes --skip-preview --non-interactive --color never; then
    break
  fi
  if ((attempt >= attempts)); then
    echo "::error::pulumi destroy of ${stack} failed ${attempts} times; the stack is kept so that nothing is forgotten. Fix the cause and run: pulumi destroy --stack ${stack} --refresh && pulumi stack rm ${stack}" >&2
    exit 1
  fi
  echo "::warning::pulumi destroy of ${stack} failed (attempt ${attempt} of ${attempts}); retrying in ${delay_seconds}s"
  sleep "${delay_seconds}"
done

pulumi stack rm "${stack}" --yes --non-interactive
echo "Stack ${stack} destroyed and removed."
