# shellcheck shell=sh
# The fake `pulumi`, `gh` and `npm` of test/pipeline/fake-cli.ts, sourced by bin/<cmd> with $cmd set.
# The scenario is a folder of files ($FAKE_SCENARIO, written and read back by fake-cli.ts):
#   stacks                      "<name> <updateInProgress true|false>" a line, in listing order
#   tags/<stack>/<key>          the tag's value (no newline)
#   destroyFailures/<stack>     failures left before a destroy succeeds, or Infinity
#   previewExit/<stack>         exit status of `pulumi preview`
#   stackLsFails                present: `pulumi stack ls` fails
#   prs/<number>                open | closed (absent: the API answers 404)
#   prFiles, prFiles.fail       the pull request's files a line; or the API call fails
#   planTtlHours                .config.review.ttlHours of the plan JSON `npm run plan` writes
#   planFails/<base|head>       stacks whose offline plan fails on that side, a line each
# Each call is logged to $FAKE_LOG as NUL-terminated fields: the command, the number of arguments,
# the arguments (an argument cannot hold a NUL, so the log reads back exactly).
s="$FAKE_SCENARIO"
# shellcheck disable=SC2154 # $cmd: set by bin/<cmd>
printf '%s\0' "$cmd" "$#" "$@" >>"$FAKE_LOG"

# Sets v to the argument after the first "$1" (unset when there is none).
opt() {
  _name="$1"
  shift
  _found=
  unset v
  for _a in "$@"; do
    if [ -n "$_found" ]; then
      v="$_a"
      return 0
    fi
    [ "$_a" = "$_name" ] && _found=1
  done
  return 0
}
fail() {
  printf '%s\n' "$2" >&2
  exit "$1"
}

case "$cmd" in
pulumi)
  opt --stack "$@"
  stack="${v-}"
  if [ "$1" = stack ] && [ "$2" = ls ]; then
    [ -f "$s/stackLsFails" ] && fail 255 "error: could not list stacks: AccessDenied"
    out='['
    sep=
    while IFS=' ' read -r name busy; do
      out="$out$sep{\"name\":\"organization/platform/$name\",\"current\":false,\"updateInProgress\":$busy,\"resourceCount\":3}"
      sep=,
    done <"$s/stacks"
    printf '%s]' "$out"
  elif [ "$1" = stack ] && [ "$2" = tag ] && [ "$3" = get ]; then
    [ -f "$s/tags/$stack/$4" ] || fail 255 "error: stack tag '$4' not found for stack '$stack'"
    IFS= read -r tag <"$s/tags/$stack/$4" || :
    printf '%s\n' "$tag"
  elif [ "$1" = stack ] && [ "$2" = tag ] && [ "$3" = set ]; then
    mkdir -p "$s/tags/$stack"
    printf '%s' "$5" >"$s/tags/$stack/$4"
  elif [ "$1" = stack ] && [ "$2" = rm ]; then
    kept=
    while IFS=' ' read -r name busy; do
      [ "$name" = "$3" ] || kept="$kept$name $busy
"
    done <"$s/stacks"
    printf '%s' "$kept" >"$s/stacks"
  elif [ "$1" = destroy ]; then
    left=0
    [ -f "$s/destroyFailures/$stack" ] && read -r left <"$s/destroyFailures/$stack"
    if [ "$left" = Infinity ] || [ "$left" -gt 0 ]; then
      [ "$left" = Infinity ] || echo $((left - 1)) >"$s/destroyFailures/$stack"
      fail 255 "error: update failed: namespace pr-x is still Terminating"
    fi
    printf 'Destroying (%s)\nResources:\n    - 12 deleted\n' "$stack"
  elif [ "$1" = preview ]; then
    printf 'Previewing update (%s):\n  ~ aws:eks/cluster:Cluster update [diff: ~version]\nPolicies:\n    platform-guardrails@v0.1.0 (local: policy)\n' "$stack"
    code=0
    [ -f "$s/previewExit/$stack" ] && read -r code <"$s/previewExit/$stack"
    exit "$code"
  fi
  # stack select, config set, login: logged only.
  ;;
gh)
  endpoint=
  for a in "$@"; do
    case "$a" in repos/*)
      endpoint="$a"
      break
      ;;
    esac
  done
  # The pull request's number in .../pulls/<number>[/files], when it is one.
  number="${endpoint%/files}"
  number="${number##*/pulls/}"
  case "$number" in '' | *[!0-9]*) number= ;; esac
  if [ "$1" = api ] && [ -n "$number" ] && [ "$endpoint" != "${endpoint%/pulls/"$number"/files}" ]; then
    [ -f "$s/prFiles.fail" ] && fail 1 "HTTP 502: Bad Gateway"
    cat "$s/prFiles"
  elif [ "$1" = api ] && [ -n "$number" ] && [ "$endpoint" != "${endpoint%/pulls/"$number"}" ]; then
    [ -f "$s/prs/$number" ] || fail 1 "gh: Not Found (HTTP 404)"
    IFS= read -r state <"$s/prs/$number" || :
    printf '%s\n' "$state"
  fi
  # pr comment: logged only.
  ;;
npm)
  # npm [--prefix <base>] run [--silent] plan -- <stack> [--out F] [--diff F] ...: the offline plan.
  opt -- "$@"
  stack="${v-}"
  side="head"
  for a in "$@"; do [ "$a" = --prefix ] && side=base; done
  if [ -f "$s/planFails/$side" ]; then
    while IFS= read -r failing; do
      [ "$failing" = "$stack" ] && fail 1 "Stack \"$stack\" has 1 configuration problem; nothing was created. ($side)"
    done <"$s/planFails/$side"
  fi
  opt --out "$@"
  out="${v-.plan/$stack.json}"
  case "$out" in */*) mkdir -p "${out%/*}" ;; esac
  ttl=
  [ -f "$s/planTtlHours" ] && read -r ttl <"$s/planTtlHours" && ttl="\"ttlHours\":$ttl"
  printf '{"stack":"%s","side":"%s","config":{"review":{%s}}}' "$stack" "$side" "$ttl" >"$out"
  opt --diff "$@"
  if [ -n "${v-}" ]; then
    read -r base <"$v" || :
    base="${base#*\"side\":\"}"
    printf '#### %s: head against %s\n' "$stack" "${base%%\"*}" >".plan/$stack.diff.md"
    printf 'markdown on stdout\n'
  fi
  ;;
esac
exit 0
