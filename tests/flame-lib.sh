# flame-lib.sh -- sourced by the flame views' tests (flame.sh, flamegraph.sh): the profiles they
# read and -top's total. The caller sets np (the nprof binary), own and shared (profile folders).

# profiles: every readable profile of build/profiles and, when present, the shared test data.
profiles=()
for f in "$own"/*.pb.gz "$own"/heap.pb "$shared"/*/*.pb.gz; do
    [ -f "$f" ] || continue
    "$np" -raw "$f" >/dev/null 2>&1 && profiles+=("$f")
done

# The "of X total" of -top, in the sample's own unit with the unit's letters dropped.
top_total() { # file index unit [flags]
    local f=$1 i=$2 u=$3
    shift 3
    "$np" -top -sample_index="$i" -unit="$u" "$@" "$f" 2>/dev/null | sed -n 's/.* of \(.*\) total.*/\1/p' | sed 's/[a-zA-Z]*$//'
}

# each_index FN: calls FN FILE NAME INDEX TYPE UNIT for every profile and each of its sample
# types (NAME is the file's path from the repository, UNIT the type's unit).
each_index() {
    local f t i u
    for f in "${profiles[@]}"; do
        i=0
        for t in $("$np" -raw "$f" 2>/dev/null | sed -n '/^Samples:/{n;p;q}'); do
            u=${t#*/}
            u=${u%%\[*}
            "$1" "$f" "${f#"$repo"/}" "$i" "$t" "$u"
            i=$((i + 1))
        done
    done
}
