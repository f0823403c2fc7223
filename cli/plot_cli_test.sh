#!/usr/bin/env bash
# `mbrl plot` end to end: two runs' progress.csv fixtures (the format `mbrl train` writes) are
# drawn into one PNG; usage errors exit 2, unreadable runs exit 1, with a clear message.
set -uo pipefail
cd "${TEST_SRCDIR}/${TEST_WORKSPACE}"
MBRL="$PWD/cli/mbrl"
TMP="${TEST_TMPDIR}"
source cli/testing/expect.sh

mkdir -p "$TMP/runs/mbmpo" "$TMP/runs/metrpo" "$TMP/runs/empty"
header="iteration,real_steps,imagined_steps,wall_seconds,eval_return,model_val_loss"
{
  echo "$header"
  for i in $(seq 0 29); do
    echo "$i,$((2000 + i * 2000)),$((i * 80000)),$((20 + i * 35)).5,$((-1300 + i * 40)),0.0$((9 - i % 9))"
  done
} > "$TMP/runs/mbmpo/progress.csv"
{
  echo "$header"
  for i in $(seq 0 19); do
    # Every other iteration without an evaluation (empty cell).
    if (( i % 2 )); then ret=""; else ret="$((-1400 + i * 30))"; fi
    echo "$i,$((3000 + i * 3000)),$((i * 50000)),$((15 + i * 60)),$ret,0.1"
  done
} > "$TMP/runs/metrpo/progress.csv"
echo "$header" > "$TMP/runs/empty/progress.csv"

expect 0 "wrote $TMP/curves.png \(2 run\(s\), 40 evaluations\)" \
  "$MBRL" plot --run="$TMP/runs/mbmpo" --run "$TMP/runs/metrpo" --out="$TMP/curves.png"
if [[ "$(head -c 8 "$TMP/curves.png" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]]; then
  fail "curves.png is not a PNG"
fi
size=$(stat -c %s "$TMP/curves.png")
(( size > 10000 )) || fail "curves.png is only $size bytes: nothing drawn?"
# IHDR width x height = 1400 x 500.
[[ "$(od -An -tu1 -j16 -N8 "$TMP/curves.png" | tr -s ' ')" == " 0 0 5 120 0 0 1 244" ]] \
  || fail "curves.png is not 1400x500"

expect 0 "repeat --run to overlay runs" "$MBRL" plot --help
expect 2 "give at least one --run=DIR and --out=FILE.png" "$MBRL" plot --out="$TMP/x.png"
expect 2 "give at least one --run=DIR and --out=FILE.png" "$MBRL" plot --run="$TMP/runs/mbmpo"
expect 2 "--out must name a .png file" "$MBRL" plot --run="$TMP/runs/mbmpo" --out="$TMP/x.svg"
expect 2 "takes no arguments" "$MBRL" plot "$TMP/runs/mbmpo" --out="$TMP/x.png"
expect 1 "cannot read $TMP/runs/missing/progress.csv" \
  "$MBRL" plot --run="$TMP/runs/mbmpo" --run="$TMP/runs/missing" --out="$TMP/x.png"
expect 1 "no row has an eval_return yet" "$MBRL" plot --run="$TMP/runs/empty" --out="$TMP/x.png"
expect 1 "cannot write $TMP/no/such/dir.png" \
  "$MBRL" plot --run="$TMP/runs/mbmpo" --out="$TMP/no/such/dir.png"
# Without gnuplot on PATH: a clear precondition error.
expect 1 "gnuplot is not installed" env PATH=/nonexistent "$MBRL" plot --run="$TMP/runs/mbmpo" \
  --out="$TMP/x.png"

finish
