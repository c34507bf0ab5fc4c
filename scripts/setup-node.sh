# Puts the project's Node (the exact version in .nvmrc) first on PATH, in the shell that sources it:
#
#     . scripts/setup-node.sh && npm ci && npm run plan -- dev
#
# The machine's Node may be any version >= 18 with npm (Debian and Ubuntu ship older majors than
# this project needs; package.json's engines and engine-strict refuse them). When `node` is not
# already the .nvmrc version, the npm registry's `node` package of that version (it ships the
# official binary) is installed without root into a per-user cache, once, and its bin folder goes
# first on PATH; npm itself stays the machine's and runs on that Node. .ci/run sources this too:
# one implementation of "bring the project's Node", for newcomers and CI alike.
#
# Sourced, not run: it changes the calling shell's PATH. POSIX sh, bash and zsh; it never exits the
# caller's shell (it returns non-zero on failure, so `&&` stops). NODE_TOOLCHAIN_DIR overrides the
# install folder (default ${XDG_CACHE_HOME:-~/.cache}/platform-node-<version>).

_psn_sourced=yes
if [ -n "${ZSH_VERSION:-}" ]; then
    case ${ZSH_EVAL_CONTEXT:-} in *:file*) ;; *) _psn_sourced=no ;; esac
elif ! (return 0 2>/dev/null); then
    _psn_sourced=no
elif [ -z "${BASH_VERSION:-}" ] && [ "${0##*/}" = setup-node.sh ]; then
    # dash lets a script `return` at its top level; run as a command, $0 is the script.
    _psn_sourced=no
fi
if [ "$_psn_sourced" = no ]; then
    echo "scripts/setup-node.sh changes the PATH of the shell that sources it; run it as: . scripts/setup-node.sh" >&2
    exit 2
fi

platform_setup_node() {
    # .nvmrc of the repository: this script's folder's parent under bash, else the current folder
    # (the README's commands run from the repository root).
    _psn_root=$PWD
    if [ -n "${BASH_VERSION:-}" ]; then
        # shellcheck disable=SC3028,SC3054
        _psn_root=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || return 1
    fi
    if [ ! -f "$_psn_root/.nvmrc" ]; then
        echo "setup-node: no .nvmrc in $_psn_root; source this from the repository root: . scripts/setup-node.sh" >&2
        return 1
    fi
    _psn_version=$(tr -d ' \t\r\n' < "$_psn_root/.nvmrc")
    if [ "$(node --version 2>/dev/null)" = "v$_psn_version" ]; then
        return 0
    fi
    _psn_dir=${NODE_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-node-$_psn_version}
    if [ "$("$_psn_dir/node_modules/.bin/node" --version 2>/dev/null)" != "v$_psn_version" ]; then
        if ! command -v npm >/dev/null 2>&1; then
            echo "setup-node: Node $_psn_version is needed and npm is not installed to fetch it; install any Node >= 18 with npm (Debian/Ubuntu: sudo apt-get install nodejs npm), then source this again" >&2
            return 1
        fi
        echo "setup-node: installing Node $_psn_version from the npm registry into $_psn_dir (once; found $(node --version 2>/dev/null || echo 'no node'))" >&2
        # From $HOME, so that no project .npmrc (engine-strict) applies to this install.
        if ! (cd "$HOME" && npm install --prefix "$_psn_dir" --no-save --no-package-lock --no-audit --no-fund --no-update-notifier --loglevel=error "node@$_psn_version"); then
            echo "setup-node: npm install node@$_psn_version failed (is the npm registry reachable?)" >&2
            return 1
        fi
        if [ "$("$_psn_dir/node_modules/.bin/node" --version 2>/dev/null)" != "v$_psn_version" ]; then
            echo "setup-node: $_psn_dir/node_modules/.bin/node is not Node $_psn_version after the install; remove $_psn_dir and source this again" >&2
            return 1
        fi
    fi
    PATH="$_psn_dir/node_modules/.bin:$PATH"
    export PATH
    hash -r 2>/dev/null || true
}

platform_setup_node
_psn_status=$?
unset -f platform_setup_node
unset _psn_root _psn_version _psn_dir _psn_sourced
if [ "$_psn_status" -eq 0 ]; then
    unset _psn_status
    echo "node $(node --version), npm $(npm --version)" >&2
else
    unset _psn_status
    false
fi
