#!/usr/bin/env bash
# Destroy-time sweep (issue 12, item 2): deletes CloudWatch log groups that AWS services recreate
# after their owner is gone (EKS recreates /aws/eks/<cluster>/cluster, RDS
# /aws/rds/instance/<id>/<type>, from late log events, with no retention). It runs after the
# cluster (or DB instance) and the Pulumi-owned group are deleted, and sweeps for a bounded window:
# a group that reappears within ATTEMPTS x INTERVAL_SECONDS is deleted again; later ones are not.
#
# Environment:
#   LOG_GROUPS        log group names, one a line
#   AWS_REGION        region of the groups
#   ATTEMPTS          sweeps (default 6)
#   INTERVAL_SECONDS  pause between sweeps (default 20)
# Exit 0 when the last sweep found nothing to delete and no call failed; 1 otherwise, naming them.
set -euo pipefail

: "${LOG_GROUPS:?LOG_GROUPS must list the log group names, one a line}"
: "${AWS_REGION:?AWS_REGION must name the groups region}"
attempts="${ATTEMPTS:-6}"
interval="${INTERVAL_SECONDS:-20}"

mapfile -t groups < <(printf '%s\n' "$LOG_GROUPS" | sed '/^[[:space:]]*$/d')
failed=()
found=()
for ((i = 1; i <= attempts; i++)); do
    failed=()
    found=()
    for group in "${groups[@]}"; do
        if out="$(aws logs delete-log-group --region "$AWS_REGION" --log-group-name "$group" 2>&1)"; then
            echo "sweep $i/$attempts: deleted $group"
            found+=("$group")
        elif grep -q ResourceNotFoundException <<<"$out"; then
            :
        else
            echo "sweep $i/$attempts: could not delete $group: $out" >&2
            failed+=("$group")
        fi
    done
    if ((i < attempts)); then sleep "$interval"; fi
done

if ((${#failed[@]} > 0)); then
    echo "error: could not delete log group(s) ${failed[*]}: delete them with aws logs delete-log-group --region $AWS_REGION --log-group-name <name>" >&2
    exit 1
fi
if ((${#found[@]} > 0)); then
    echo "warning: ${found[*]} reappeared in the last sweep and was deleted again; if it comes back, delete it by hand" >&2
fi
echo "no log group of ${groups[*]} left"
