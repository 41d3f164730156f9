#!/bin/sh
# Soft-float check: compiles C sources for the Cortex-M4 with -mfloat-abi=soft, so that any float or
# double arithmetic turns into a call to a libgcc soft-float helper, and fails if any object's
# symbol table refers to one (__aeabi_fadd, __aeabi_d2iz, __aeabi_i2f, __addsf3, __floatsidf, ...)
# or to a libm function.
#
#   check_no_float.sh                 checks every Targets/runtime/src/*.c and this port's own C files
#   check_no_float.sh FILE.c ...      checks the given files instead (used to prove the check fails)
#
# Exit status: 0 clean, 1 a soft-float or libm reference was found, 2 a file did not compile.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
runtime="$here/../runtime"
if [ "$#" -eq 0 ]; then
    set -- "$runtime"/src/*.c "$here"/*.c
    if ls "$here"/kernels/*.c >/dev/null 2>&1; then
        set -- "$@" "$here"/kernels/*.c
    fi
fi

CC=${CC:-arm-none-eabi-gcc}
NM=${NM:-arm-none-eabi-nm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The __aeabi_ run-time ABI helpers for floating point all start with f or d (fadd, dmul, f2iz,
# d2f, ...) or convert to/from one (i2f, ul2d, h2f); the libgcc generic names end in a float mode
# suffix (sf/df/tf/xf/hf, optionally followed by the operand count). Common libm entry points are
# listed by name.
softfloat='^__aeabi_([fd]|u?[il]2[fdh]|h2f)|^__[a-z]+(sf|df|tf|xf|hf)[0-9]?$'
libm='^(sqrt|exp|exp2|log|log2|log10|pow|floor|ceil|round|lround|trunc|fabs|fmod|tanh|sin|cos|frexp|ldexp|modf)f?$'

failed=0
count=0
for source in "$@"; do
    object="$work/$(basename "$source" .c).o"
    if ! "$CC" -mcpu=cortex-m4 -mthumb -mfloat-abi=soft -O2 -std=c99 -Wall -Wextra -Werror \
            -I"$runtime/include" -I"$runtime/src" -I"$here" -c "$source" -o "$object"; then
        echo "check_no_float: $source does not compile for the Cortex-M4" >&2
        exit 2
    fi
    count=$((count + 1))
    found=$("$NM" -u "$object" | awk '{print $NF}' | grep -E "$softfloat|$libm" || true)
    if [ -n "$found" ]; then
        echo "check_no_float: $source uses floating point:" $found >&2
        failed=1
    fi
done

if [ "$failed" -ne 0 ]; then
    exit 1
fi
echo "check_no_float: $count file(s) compiled with -mfloat-abi=soft, no soft-float or libm references"
