#!/usr/bin/env bash
# Destroy-time step (issue 12, item 1): waits until no PersistentVolume of STORAGE_CLASS remains,
# so the EBS CSI driver deletes every EBS volume before Pulumi removes the driver and the
# StorageClass. PV deletion is asynchronous (after the pod is gone and the volume detached);
# without this wait the volumes stay "available", billed, forever.
#
# Environment:
#   KUBECONFIG_DATA   the cluster's kubeconfig (its user runs `aws eks get-token`)
#   STORAGE_CLASS     the platform's StorageClass (PVs of other classes are ignored)
#   ATTEMPTS          checks before giving up (default 60)
#   INTERVAL_SECONDS  pause between checks (default 10)
# Exit 0 when none remains; 1 naming every leftover PV, its claim and its EBS volume otherwise.
set -euo pipefail

: "${KUBECONFIG_DATA:?KUBECONFIG_DATA must hold the cluster kubeconfig}"
: "${STORAGE_CLASS:?STORAGE_CLASS must name the StorageClass whose volumes to wait for}"
attempts="${ATTEMPTS:-60}"
interval="${INTERVAL_SECONDS:-10}"

kubeconfig="$(mktemp)"
trap 'rm -f "$kubeconfig"' EXIT
printf '%s' "$KUBECONFIG_DATA" > "$kubeconfig"

# One line per PV of the class: name, claim namespace/name, EBS volume ID, phase.
leftovers() {
    kubectl --kubeconfig "$kubeconfig" get persistentvolumes -o json |
        jq -r --arg class "$STORAGE_CLASS" '.items[]
            | select(.spec.storageClassName == $class)
            | "\(.metadata.name) claim=\(.spec.claimRef.namespace // "-")/\(.spec.claimRef.name // "-") volume=\(.spec.csi.volumeHandle // "-") phase=\(.status.phase // "-")"'
}

left=""
last_error=""
for ((i = 1; i <= attempts; i++)); do
    if out="$(leftovers 2>&1)"; then
        last_error=""
        if [[ -z "$out" ]]; then
            echo "no PersistentVolume of StorageClass $STORAGE_CLASS remains"
            exit 0
        fi
        left="$out"
        echo "check $i/$attempts: $(wc -l <<<"$left") PersistentVolume(s) of $STORAGE_CLASS still deleting"
    else
        # An API hiccup is retried; it is reported if it lasts to the end.
        last_error="$out"
        echo "check $i/$attempts: could not list PersistentVolumes: $out" >&2
    fi
    if ((i < attempts)); then sleep "$interval"; fi
done

if [[ -n "$last_error" && -z "$left" ]]; then
    echo "error: could not list PersistentVolumes for $attempts checks: $last_error" >&2
else
    echo "error: PersistentVolumes of StorageClass $STORAGE_CLASS remain after $attempts checks ${interval}s apart:" >&2
    while IFS= read -r line; do echo "  $line" >&2; done <<<"$left"
    echo "Their EBS volumes would be left behind. Delete the claims (kubectl delete pvc -n <namespace> <claim>) or, once detached, the volumes (aws ec2 delete-volume --volume-id <volume>), then run destroy again." >&2
fi
exit 1
