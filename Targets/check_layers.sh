#!/bin/sh
# check_layers.sh OBJECT_DIR: the runtime's files call only downwards (q8_internal.h, "layers"),
# so no file calls back into one that calls it. For each runtime object, every symbol it takes from
# another runtime object must be defined in a lower layer; prints each violation and exits 1.
#   1 q8_blob, q8_crc32, q8_requantize   2 q8_<op>_s8   3 q8_dispatch   4 q8_op_table   5 q8_schedule
#   6 q8_model, q8_run
set -eu
dir=$1
layer() {
    case $1 in
    q8_blob | q8_crc32 | q8_requantize) echo 1 ;;
    q8_dispatch) echo 3 ;;
    q8_op_table) echo 4 ;;
    q8_schedule) echo 5 ;;
    q8_model | q8_run) echo 6 ;;
    q8_*_s8) echo 2 ;;
    *) echo "check_layers.sh: $1.o has no layer; add it to check_layers.sh" >&2; exit 1 ;;
    esac
}
definitions=$(for o in "$dir"/*.o; do
    nm --defined-only "$o" | awk -v f="$(basename "$o" .o)" 'NF == 3 && $2 ~ /[TDRB]/ { print $3, f }'
done)
bad=0
for o in "$dir"/*.o; do
    user=$(basename "$o" .o)
    user_layer=$(layer "$user")
    for symbol in $(nm -u "$o" | awk 'NF == 2 { print $2 }'); do
        owner=$(echo "$definitions" | awk -v s="$symbol" '$1 == s { print $2; exit }')
        [ -n "$owner" ] || continue
        if [ "$(layer "$owner")" -ge "$user_layer" ]; then
            echo "check_layers.sh: $user (layer $user_layer) calls $symbol of $owner (layer $(layer "$owner"))"
            bad=1
        fi
    done
done
[ $bad -eq 0 ] || exit 1
echo "check-layers: every runtime file calls only lower layers: 1 passed, 0 failed"
