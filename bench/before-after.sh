#!/usr/bin/env bash
# LoadKit at an earlier revision and now, side by side in one run, on one nginx: for refactors that must not change
# the figures. Builds the earlier revision in a temporary git worktree, then alternates before/after for each row
# (HTTP at the highest rate, HTTP at a fixed rate; generator CPU per 1,000 requests, from LoadKit.Bench's BENCH line),
# and runs the engine micro-benchmarks (BenchmarkDotNet, short job) of both.
#
#   bench/before-after.sh REVISION [REPS=3] [SECONDS=10]
#
# Needs nginx (apt-get install nginx-light). Traffic goes to 127.0.0.1 only; nginx is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
before_rev=${1:?usage: bench/before-after.sh REVISION [REPS] [SECONDS]}
reps=${2:-3}
seconds=${3:-10}
command -v nginx >/dev/null || { echo "before-after.sh: nginx is missing (apt-get install nginx-light)"; exit 1; }

work=$(mktemp -d /tmp/loadkit-before-after.XXXXXX)
nginx_pid=
cleanup() {
  if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  git worktree remove --force "$work/before" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "before-after.sh: building $before_rev and the working tree (Release)"
git worktree add -q --detach "$work/before" "$before_rev"
for tree in "$work/before" .; do
  dotnet build "$tree/bench/LoadKit.Bench" -c Release -v q -nologo >/dev/null
  dotnet build "$tree/bench/LoadKit.Benchmarks" -c Release -v q -nologo >/dev/null
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  server { listen 127.0.0.1:$port; location = /2b { return 200 "ok"; } }
}
EOF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' >"$work/nginx/stdout.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/2b" 2>/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/2b"

bench() { # tree, args...: prints the BENCH line
  local tree=$1; shift
  dotnet "$tree/bench/LoadKit.Bench/bin/Release/net10.0/LoadKit.Bench.dll" http --url "$url" --duration "$seconds" "$@" 2>/dev/null | grep '^BENCH' | tail -1
}

echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ) before=$(git rev-parse --short "$before_rev") after=$(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes') reps=$reps seconds=$seconds"
for row in "max rate:--connections 50" "2000/s:--connections 50 --rate 2000"; do
  name=${row%%:*}; args=${row#*:}
  for i in $(seq "$reps"); do
    # shellcheck disable=SC2086
    echo "$name before #$i: $(bench "$work/before" $args)"
    # shellcheck disable=SC2086
    echo "$name after  #$i: $(bench . $args)"
  done
done

for tree in "$work/before" .; do
  label=$([ "$tree" = . ] && echo after || echo before)
  echo "engine micro-benchmarks, $label:"
  (cd "$tree" && dotnet bench/LoadKit.Benchmarks/bin/Release/net10.0/LoadKit.Benchmarks.dll --filter '*EngineBenchmarks*' --job short 2>&1 \
    | grep -E '^\| ' | grep -v -- '---')
done
