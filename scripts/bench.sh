#!/usr/bin/env bash
# make bench: the production server against nginx serving the identical bytes of /.
#
# Starts server.py (granian) on a throw-away database and nginx on loopback,
# loads both with wrk (bounded runs, 127.0.0.1 only) and prints a Markdown
# table: requests per second, p50 and p99 latency, and the ratio to nginx.
# Runs of / alternate between nginx and the app, and the median of each is
# reported, so drift on a shared machine hits both sides alike.
#
#   DURATION=10s ROUNDS=3 CONNECTIONS=16 make bench
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-8s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
PYTHON=${PYTHON:-.venv/bin/python}
WORK=$(mktemp -d)
chmod 755 "$WORK"  # nginx workers, started by root, run as an unprivileged user
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 150); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not answering: $1" >&2; exit 1; }

# wrk --latency output -> "requests/s p50_ms p99_ms"
summarise() {
  awk 'function ms(v) { if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
                        if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
                        if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000 }
       $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } /^Requests\/sec:/ { rps = $2 }
       END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}
load() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | summarise; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- the app, as `make serve` runs it ------------------------------------------------
APP_PORT=$(free_port)
APP_ENV=production SECRET_KEY=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))') \
  DATABASE_PATH="$WORK/messages.db" CONTACT_RATE_LIMIT=off CONTACT_MIN_SECONDS=0 \
  HOST=127.0.0.1 PORT=$APP_PORT "$PYTHON" server.py 2>"$WORK/server.log" &
PIDS+=($!)
APP=http://127.0.0.1:$APP_PORT
wait_for "$APP/healthz"

# --- nginx, serving the very bytes the app sends for / --------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/root" "$WORK/nginx/tmp"
curl -fs "$APP/" -o "$WORK/nginx/root/index.html"
cat >"$WORK/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/tmp;
    proxy_temp_path $WORK/nginx/tmp;
    fastcgi_temp_path $WORK/nginx/tmp;
    uwsgi_temp_path $WORK/nginx/tmp;
    scgi_temp_path $WORK/nginx/tmp;
    sendfile on;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/nginx/root;
        default_type "text/html; charset=utf-8";
        location = / { try_files /index.html =404; }
    }
}
CONF
nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
PIDS+=($!)
NGINX=http://127.0.0.1:$NGINX_PORT
wait_for "$NGINX/"
cmp -s "$WORK/nginx/root/index.html" <(curl -fs "$NGINX/") || { echo "nginx is not serving the app's bytes" >&2; exit 1; }

# Warm both (and the app's render and replay caches) before measuring.
wrk -t2 -c"$CONNECTIONS" -d2s "$NGINX/" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d2s "$APP/" >/dev/null

# --- / : alternating rounds, medians -----------------------------------------------
: >"$WORK/nginx.runs"; : >"$WORK/app.runs"
for _ in $(seq "$ROUNDS"); do
  load "$NGINX/" >>"$WORK/nginx.runs"
  load "$APP/" >>"$WORK/app.runs"
done
column_median() { cut -d' ' -f"$2" "$1" | median; }
STATIC_RPS=$(column_median "$WORK/nginx.runs" 1)

row() { # label, rps, p50, p99
  printf "| %s | %s | %s | %s | %s |\n" "$1" "$2" "$3" "$4" "$(awk -v a="$2" -v b="$STATIC_RPS" 'BEGIN { printf "%.3f", a / b }')"
}

HX=(-H "HX-Request: true" -H "HX-Request-Type: partial")
ETAG=$(curl -fsI "$APP/" | awk 'tolower($1) == "etag:" { sub(/\r$/, "", $2); print $2 }')
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$APP/")" = 304 ] || { echo "no 304 for /" >&2; exit 1; }

# --- POST /contact: a session, a token, and a fresh submission key per request -------
FORM=$(curl -fs -c "$WORK/cookies" "$APP/contact")
TOKEN=$(grep -o 'name="csrf_token" type="hidden" value="[^"]*"' <<<"$FORM" | sed 's/.*value="//; s/"$//')
COOKIE=$(awk '$6 == "session" { print "session=" $7 }' "$WORK/cookies")
cat >"$WORK/post.lua" <<LUA
-- Each request is a new message: a unique one-time key, the same session and token.
local counter = 0
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
request = function()
  counter = counter + 1
  local key = string.format("bench-%02d-%024d", tid, counter)
  local body = "csrf_token=$TOKEN&submission_key=" .. key ..
    "&rendered_at=&website=&name=Load+Test&email=load%40example.com&company=&message=A+benchmark+message+" .. counter
  return wrk.format("POST", "/contact", {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "$COOKIE"}, body)
end
LUA

{
  echo "| request | requests/s | p50 ms | p99 ms | ratio to nginx static / |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  echo "| nginx static: the same bytes of / | $STATIC_RPS | $(column_median "$WORK/nginx.runs" 2) | $(column_median "$WORK/nginx.runs" 3) | 1.000 |"
  row "app: /" "$(column_median "$WORK/app.runs" 1)" "$(column_median "$WORK/app.runs" 2)" "$(column_median "$WORK/app.runs" 3)"
  row "app: case-study fragment /work/write (htmx)" $(load "${HX[@]}" "$APP/work/write")
  row "app: filtered list fragment /?tag=docker (htmx)" $(load "${HX[@]}" "$APP/?tag=docker")
  row "app: / with If-None-Match, answered 304" $(load -H "If-None-Match: $ETAG" "$APP/")
  row "app: POST /contact, a new message each (rate limit off)" $(load -s "$WORK/post.lua" "$APP/contact")
} | tee "$WORK/table.md"

STORED=$("$PYTHON" -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from messages').fetchone()[0])" "$WORK/messages.db")
echo
echo "Messages stored during the POST run: $STORED (each acknowledged with a 303)."
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); wrk -t2 -c$CONNECTIONS -d$DURATION on loopback;" \
  "server.py with ${WORKERS:-$(nproc)} granian workers; $(nginx -v 2>&1 | sed 's/.*: //'), worker_processes auto."
