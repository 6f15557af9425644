#!/usr/bin/env bash
# Runs every LoadKit test. Installs what the tests need first (etcd-server when etcd is missing, prometheus for the
# scrape endpoint's test, nginx for the HTTP engine's conformance test, chromium for the HTML report's rendering test when it is missing;
# podman, runc and debootstrap for the worker-container test and kubernetes-client for the manifest render test),
# then runs `dotnet test LoadKit.sln`, and ends with one line of real totals: "N passed, N failed".
# Extra arguments go to dotnet test (e.g. ./test.sh --filter Name~Gate).
set -uo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing Debian's ${missing[*]}"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || { echo "test.sh: could not install ${missing[*]}"; echo "0 passed, 0 failed"; exit 1; }
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# Built once; then the in-process test assemblies side by side (with the control page's, whose one Chromium page and two
# workers are light), then the worker tests (real etcd, worker processes), then the browser tests (many Chromium pages)
# beside the worker's container deployment tests: the worker and browser processes took the CPU that the in-process assemblies' timing and latency
# gates measure with (p95 gates failed beside the browser tests; an open-model lag bound beside the workers).
# (With the control page's tests after the worker tests the suite took 16 min on 2 cores.)
dotnet build LoadKit.sln -v q -nologo || { echo "test.sh: the build failed"; echo "0 passed, 0 failed"; exit 1; }
if [ $# -gt 0 ]; then
  # A subset the caller chose (e.g. --filter): as asked, one assembly after another.
  LOADKIT_TEST_RESULTS="$results" dotnet test LoadKit.sln --no-build -m:1 --logger "trx" "$@"
  status=$?
else
  status=0
  LOADKIT_TEST_RESULTS="$results" dotnet test LoadKit.sln --no-build --logger "trx" \
    --filter "FullyQualifiedName!~LoadKit.Worker.Tests.&FullyQualifiedName!~LoadKit.Browser.Tests."
  status=$((status | $?))
  LOADKIT_TEST_RESULTS="$results" dotnet test tests/LoadKit.Worker.Tests --no-build --logger "trx" \
    --filter "FullyQualifiedName!~LoadKit.Worker.Tests.Deploy."
  status=$((status | $?))
  # The worker's deployment tests beside the browser tests: neither measures time, and the container test's
  # self-contained publish of the worker (up to a minute of compiling) overlaps the browsers' pages.
  LOADKIT_TEST_RESULTS="$results" dotnet test tests/LoadKit.Worker.Tests --no-build --logger "trx" \
    --filter "FullyQualifiedName~LoadKit.Worker.Tests.Deploy." &
  deploy=$!
  LOADKIT_TEST_RESULTS="$results" dotnet test tests/LoadKit.Browser.Tests --no-build --logger "trx"
  status=$((status | $?))
  wait "$deploy"
  status=$((status | $?))
fi

# Totals from the TRX files that the test runs wrote (one per test assembly).
passed=0; failed=0; skipped=0; files=0
for trx in "$results"/*/*.trx; do
  [ -e "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  value() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  total=$(value total); executed=$(value executed)
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + total - executed))
done

if [ "$files" -eq 0 ] || [ "$passed" -eq 0 ]; then
  echo "test.sh: no test ran (build failure?)"
  status=1
fi
[ "$failed" -gt 0 ] && status=1

line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
exit $status
