# Helpers for the shell tests of the `mbrl` binary (sourced):
#   fail MESSAGE                 count a failure
#   expect CODE PATTERN CMD...   run CMD, check its exit code and that its output matches PATTERN
#   finish                       exit 1 if anything failed
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect() {
  local want_code="$1" pattern="$2"; shift 2
  local output code
  output="$("$@" 2>&1)"; code=$?
  if [[ "$code" != "$want_code" ]]; then
    fail "'$*' exited $code, want $want_code; output: $output"
  elif ! grep -qE -- "$pattern" <<<"$output"; then
    fail "'$*' output does not match /$pattern/: $output"
  fi
}

finish() {
  if (( failures > 0 )); then
    echo "$failures check(s) failed"
    exit 1
  fi
  echo "all checks passed"
}
