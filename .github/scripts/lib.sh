# shellcheck shell=bash
# Shared by the review-stack scripts (sourced, not run).

# The stacks of this project, one short name (dev, prod, pr-7) a line. `pulumi stack ls` prints
# fully qualified names on some backends (organization/platform/pr-7): the last segment is the stack.
stack_names() {
  pulumi stack ls --json | jq -r '.[].name | split("/") | last'
}

# Succeeds when this project has a stack named $1; fails loudly when the backend cannot be listed
# (missing credentials must not read as "no stack").
stack_exists() {
  local names
  names="$(stack_names)" || { echo "::error::pulumi stack ls failed: cannot tell whether stack $1 exists" >&2; exit 3; }
  grep -qxF -- "$1" <<<"${names}"
}
