#!/usr/bin/env bash
# LoadKit side by side with wrk, hey, ab, autocannon and Locust against one nginx (1 worker process, keep-alive,
# a 2-byte and a 1 KiB response), plus VU density and distributed start skew; then prints Markdown tables
# (bench/report.py) and saves them next to the raw outputs in bench/.cache/results/<time>/.
#
# Settings (environment):
#   BENCH_SECONDS=10          duration of each load run (s)
#   BENCH_REPS=3              repetitions of each row (median and spread are reported)
#   BENCH_ONLY="loadkit loadkit_engine loadkit_socket wrk hey ab autocannon locust density skew"   what to run (a subset for smoke runs);
#                             loadkit_engine: LoadKit with HttpSettings.Engine = HttpEngine.LoadKit (its own HTTP/1.1 engine),
#                             responses on the thread pool (LoadKit.Bench's --socket-thread no);
#                             loadkit_socket: the same with HttpSettings.ResponsesOnSocketThread
#   BENCH_MODES="max rate"    max: maximum throughput; rate: fixed rate
#   BENCH_BODIES="2b 1k"      response sizes
#   BENCH_SCHEMES="http"      http, https or both: https rows go to nginx over TLS (a self-signed certificate made for
#                             the run, keep-alive); LoadKit trusts it (--trust), wrk, hey and ab do not check it,
#                             autocannon runs with NODE_TLS_REJECT_UNAUTHORIZED=0; Locust runs over http only
#   BENCH_CONNECTIONS=50      connections (VUs) for both modes
#   BENCH_RATE=2000           the fixed rate (requests/s)
#   BENCH_LOCUST_WORKERS=0    0: one Locust process (one core); N: --master plus N --worker processes
#   BENCH_DENSITY_USERS="10000 100000"    thinking VUs per density row
#   BENCH_SKEW_WORKERS="1 2 4 8 16"       worker processes per start-skew row
#
# Smoke example (what a development run may use on a shared machine):
#   BENCH_SECONDS=2 BENCH_REPS=1 BENCH_DENSITY_USERS=1000 BENCH_SKEW_WORKERS="1 2" bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${BENCH_SECONDS:-10}
reps=${BENCH_REPS:-3}
only=" ${BENCH_ONLY:-loadkit loadkit_engine loadkit_socket wrk hey ab autocannon locust density skew} "
modes=${BENCH_MODES:-max rate}
bodies=${BENCH_BODIES:-2b 1k}
schemes=${BENCH_SCHEMES:-http}
connections=${BENCH_CONNECTIONS:-50}
rate=${BENCH_RATE:-2000}
locust_workers=${BENCH_LOCUST_WORKERS:-0}
density_users=${BENCH_DENSITY_USERS:-10000 100000}
skew_workers=${BENCH_SKEW_WORKERS:-1 2 4 8 16}

for number in "$seconds" "$reps" "$connections" "$rate" "$locust_workers"; do
  [[ "$number" =~ ^[0-9]+$ ]] || { echo "run.sh: '$number' is not a whole number (BENCH_SECONDS, BENCH_REPS, BENCH_CONNECTIONS, BENCH_RATE, BENCH_LOCUST_WORKERS)"; exit 2; }
done
[ "$seconds" -ge 1 ] && [ "$reps" -ge 1 ] || { echo "run.sh: BENCH_SECONDS and BENCH_REPS must be at least 1"; exit 2; }
wants() { [[ "$only" == *" $1 "* ]]; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
python=/usr/bin/python3; [ -x "$python" ] || python=python3

# --- What the run needs --------------------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null || missing+=(nginx)
[ -x /usr/bin/time ] || missing+=(time)
command -v curl >/dev/null || missing+=(curl)
if wants wrk; then command -v wrk >/dev/null || missing+=(wrk); fi
if wants hey; then command -v hey >/dev/null || missing+=(hey); fi
if wants ab; then command -v ab >/dev/null || missing+=(apache2-utils); fi
if wants locust; then command -v locust >/dev/null || missing+=(python3-locust); fi
if wants skew; then command -v etcd >/dev/null || missing+=(etcd-server); fi
if wants autocannon; then command -v npm >/dev/null || missing+=(npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "run.sh: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
autocannon=$root/bench/.cache/npm/node_modules/.bin/autocannon
if wants autocannon && [ ! -x "$autocannon" ]; then
  echo "run.sh: installing autocannon into bench/.cache/npm"
  mkdir -p bench/.cache/npm
  (cd bench/.cache/npm && timeout 300 npm install --no-audit --no-fund --loglevel=error autocannon >/dev/null)
fi

echo "run.sh: building bench/LoadKit.Bench (Release)"
dotnet build bench/LoadKit.Bench/LoadKit.Bench.csproj -c Release -v q -nologo >/dev/null
bench_dll=$root/bench/LoadKit.Bench/bin/Release/net10.0/LoadKit.Bench.dll

out=$root/bench/.cache/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- nginx, our own config and prefix, stopped by PID ----------------------------------------------------------
nginx_dir=$(mktemp -d /tmp/loadkit-bench-nginx.XXXXXX)
nginx_pid=
cleanup() {
  if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nginx_pid" 2>/dev/null || true
  fi
  rm -rf "$nginx_dir"
}
trap cleanup EXIT
port=$(free_port)
kib=$(printf 'x%.0s' $(seq 1024))
mkdir -p "$nginx_dir/tmp"
tls_port=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$nginx_dir/server.key" -out "$nginx_dir/server.crt" 2>/dev/null
cat >"$nginx_dir/nginx.conf" <<EOF
worker_processes 1;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  default_type text/plain;
  client_body_temp_path $nginx_dir/tmp/body;
  proxy_temp_path $nginx_dir/tmp/proxy;
  fastcgi_temp_path $nginx_dir/tmp/fastcgi;
  uwsgi_temp_path $nginx_dir/tmp/uwsgi;
  scgi_temp_path $nginx_dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    location = /2b { return 200 "ok"; }
    location = /1k { return 200 "$kib"; }
  }
  server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $nginx_dir/server.crt;
    ssl_certificate_key $nginx_dir/server.key;
    location = /2b { return 200 "ok"; }
    location = /1k { return 200 "$kib"; }
  }
}
EOF
nginx -p "$nginx_dir" -c "$nginx_dir/nginx.conf" -g 'daemon off;' >"$nginx_dir/stdout.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/2b" 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || { echo "run.sh: nginx exited:"; cat "$nginx_dir/error.log" "$nginx_dir/stdout.log"; exit 1; }
  sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/2b" || { echo "run.sh: nginx did not answer on 127.0.0.1:$port"; exit 1; }
[ "$(curl -fsS "http://127.0.0.1:$port/1k" | wc -c)" -eq 1024 ] || { echo "run.sh: /1k is not 1024 bytes"; exit 1; }
echo "run.sh: nginx (PID $nginx_pid) on 127.0.0.1:$port; results in $out"

{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine=$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "settings=BENCH_SECONDS=$seconds BENCH_REPS=$reps BENCH_CONNECTIONS=$connections BENCH_RATE=$rate BENCH_LOCUST_WORKERS=$locust_workers"
  echo "versions=nginx $(nginx -v 2>&1 | cut -d/ -f2), .NET $(dotnet --version)$(command -v wrk >/dev/null && echo ", wrk $(dpkg-query -W -f '${Version}' wrk 2>/dev/null)")$(command -v hey >/dev/null && echo ", hey $(dpkg-query -W -f '${Version}' hey 2>/dev/null)")$(command -v ab >/dev/null && echo ", ab $(dpkg-query -W -f '${Version}' apache2-utils 2>/dev/null)")$([ -x "$autocannon" ] && echo ", autocannon $("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$root/bench/.cache/npm/node_modules/autocannon/package.json")")$(command -v locust >/dev/null && echo ", locust $(dpkg-query -W -f '${Version}' python3-locust 2>/dev/null)")"
} >"$out/meta.txt"

# Runs one measured command: output in NAME.out, /usr/bin/time -v in NAME.time; bounded by a timeout.
measure() {
  local name=$1 limit=$2; shift 2
  echo "run.sh: $name"
  timeout --kill-after=10 "$limit" /usr/bin/time -v -o "$out/$name.time" "$@" >"$out/$name.out" 2>&1 \
    || echo "run.sh: $name ended with status $? (see $out/$name.out)"
}

limit=$((seconds + 60))
per_connection=$("$python" -c "print($rate / $connections)")
for scheme in $schemes; do
for body in $bodies; do
  if [ "$scheme" = https ]; then url=https://127.0.0.1:$tls_port/$body; group=${body}tls; trust=(--trust "$nginx_dir/server.crt")
  else url=http://127.0.0.1:$port/$body; group=$body; trust=(); fi
  for mode in $modes; do
    for rep in $(seq "$reps"); do
      run() { measure "$group-$mode-$1-$rep" "$limit" "${@:2}"; }
      if wants loadkit; then
        if [ "$mode" = max ]; then run loadkit dotnet "$bench_dll" http --url "$url" "${trust[@]}" --connections "$connections" --duration "$seconds"
        else run loadkit dotnet "$bench_dll" http --url "$url" "${trust[@]}" --connections "$connections" --duration "$seconds" --rate "$rate"; fi
      fi
      if wants loadkit_engine; then
        if [ "$mode" = max ]; then run loadkit_engine dotnet "$bench_dll" http --engine loadkit --url "$url" "${trust[@]}" --connections "$connections" --duration "$seconds"
        else run loadkit_engine dotnet "$bench_dll" http --engine loadkit --url "$url" "${trust[@]}" --connections "$connections" --duration "$seconds" --rate "$rate"; fi
      fi
      if wants loadkit_socket; then
        if [ "$mode" = max ]; then run loadkit_socket dotnet "$bench_dll" http --engine loadkit --socket-thread yes --url "$url" "${trust[@]}" --connections "$connections" --duration "$seconds"
        else run loadkit_socket dotnet "$bench_dll" http --engine loadkit --socket-thread yes --url "$url" "${trust[@]}" --connections "$connections" --duration "$seconds" --rate "$rate"; fi
      fi
      # wrk (Debian's 4.x) has no rate option (-R is wrk2's): its rate rows say n/a.
      if wants wrk && [ "$mode" = max ]; then
        run wrk wrk -t 2 -c "$connections" -d "${seconds}s" --timeout 10s -s "$root/bench/wrk-report.lua" "$url"
      fi
      if wants hey; then
        if [ "$mode" = max ]; then run hey hey -z "${seconds}s" -c "$connections" "$url"
        else run hey hey -z "${seconds}s" -c "$connections" -q "$per_connection" "$url"; fi
      fi
      # ab has no rate option either. -n after -t (-t alone caps the run at 50,000 requests); ab allocates 32 B per
      # request of -n up front, so -n is 100,000 per second (more than it reaches here).
      if wants ab && [ "$mode" = max ]; then
        run ab ab -k -q -c "$connections" -t "$seconds" -n $((seconds * 100000)) "$url"
      fi
      if wants autocannon; then
        if [ "$mode" = max ]; then run autocannon env NODE_TLS_REJECT_UNAUTHORIZED=0 "$autocannon" -j -c "$connections" -d "$seconds" "$url"
        else run autocannon env NODE_TLS_REJECT_UNAUTHORIZED=0 "$autocannon" -j -c "$connections" -d "$seconds" --overallRate "$rate" "$url"; fi
      fi
      if wants locust && [ "$scheme" = http ]; then
        user_rate=0; [ "$mode" = rate ] && user_rate=$per_connection
        csv=$out/$body-$mode-locust-$rep
        common=(-f "$root/bench/locustfile.py" --headless -u "$connections" -r "$connections" -t "${seconds}s" --host "http://127.0.0.1:$port" --csv "$csv" --only-summary --loglevel WARNING --stop-timeout 5)
        export BENCH_PATH=/$body BENCH_USER_RATE=$user_rate BENCH_LOCUSTFILE=$root/bench/locustfile.py
        if [ "$locust_workers" -eq 0 ]; then
          run locust locust "${common[@]}"
        else
          # Master and workers under one /usr/bin/time: it counts the CPU of every process it waited for.
          master_port=$(free_port)
          run locust bash -c '
            workers=$1; port=$2; shift 2
            for _ in $(seq "$workers"); do locust -f "$BENCH_LOCUSTFILE" --worker --master-port "$port" --loglevel WARNING & done
            locust "$@" --master --master-bind-host 127.0.0.1 --master-bind-port "$port" --expect-workers "$workers" --expect-workers-max-wait 30
            wait' _ "$locust_workers" "$master_port" "${common[@]}"
        fi
      fi
    done
  done
done
done

if wants density; then
  for users in $density_users; do
    for rep in $(seq "$reps"); do
      measure "density-$users-loadkit-$rep" $((seconds + 120)) dotnet "$bench_dll" density --users "$users" --duration "$seconds"
    done
  done
fi

if wants skew; then
  for workers in $skew_workers; do
    for rep in $(seq "$reps"); do
      measure "skew-$workers-loadkit-$rep" $((seconds + 180)) dotnet "$bench_dll" skew --workers "$workers" --duration "$seconds"
    done
  done
fi

"$python" "$root/bench/report.py" "$out" | tee "$out/report.md"
