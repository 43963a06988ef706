# counts.sh -- sourced by the analyzer's test scripts (pictures.sh, webui.sh): one "ok   ..." or
# "FAIL ..." line per check, counted in pass and fail, and the browser checks' own lines
# added to them.
pass=0
fail=0

# nprof_arg "$@": the one argument a script takes, the nprof binary, as an absolute path in
# nprof; repo the repository, made the working folder.
nprof_arg() {
    if [ $# -ne 1 ]; then
        echo "usage: $0 NPROF" >&2
        exit 2
    fi
    nprof=$(realpath "$1")
    repo=$(realpath "$(dirname "${BASH_SOURCE[0]}")/..")
    cd "$repo" || exit 2
}
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
check() { # check WHAT CMD...: ok when CMD succeeds
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}

# test_profiles N: the array profiles gets build/profiles' readable profiles and the first N of
# ../shared/testdata/go/profiles when that folder is there.
test_profiles() {
    profiles=()
    local f
    for f in build/profiles/*.pb.gz; do
        case $(basename "$f") in empty.pb.gz | truncated.pb.gz) continue ;; esac
        profiles+=("$f")
    done
    if [ -d ../shared/testdata/go/profiles ]; then
        while IFS= read -r f; do profiles+=("$f"); done < <(find ../shared/testdata/go/profiles -name '*.pb.gz' | sort | head -"$1")
    fi
    [ ${#profiles[@]} -gt 0 ] || bad "no profiles in build/profiles (run tests/go/make-profiles.sh build/profiles)"
}

CHROMIUM=/usr/lib/chromium/chromium
# Whether the browser checks can run: Chromium and tests/browser/node_modules are there. When
# they are not, a failure under CI=true, else a line saying they are skipped.
have_browser() {
    [ -x "$CHROMIUM" ] && [ -d tests/browser/node_modules/playwright-core ] && return 0
    if [ "${CI:-}" = true ]; then
        bad "Chromium or tests/browser/node_modules missing (tools/install-deps.sh installs them)"
    else
        echo "skip Chromium checks: $CHROMIUM or tests/browser/node_modules missing (tools/install-deps.sh)"
    fi
    return 1
}

# count_browser OUT: shows a browser script's output and adds its lines to the counts.
count_browser() {
    cat "$1"
    pass=$((pass + $(grep -c '^ok ' "$1")))
    fail=$((fail + $(grep -c '^FAIL ' "$1")))
    grep -qE '^(ok|FAIL) ' "$1" || bad "Chromium checks printed nothing: $(head -3 "$1")"
}
