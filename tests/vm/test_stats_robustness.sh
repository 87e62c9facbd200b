# SPDX-License-Identifier: GPL-2.0-or-later
# The stats server never lets a client stall the relay: calls keep flowing while clients
# send garbage, never finish their request, or hold every connection slot; those clients
# are dropped after the connection timeout (10 s) and the server answers again, also when
# they trickle a byte a second (each byte restarts libmicrohttpd's idle timeout, but a
# request has 10 s in all). Methods other than GET/HEAD/OPTIONS get 405 with Allow, unknown
# paths 404; no CORS header unless stats-cors-origin names an origin (then exactly that one,
# applied on reload); /sessions says how many calls it may list.
# x25lo-vm: --timeout 300
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh

STATS_PORT=8004
write_config '"127001","127002"'
start_x25lo 2
wait_stats_server
start_listener 127002 echo

# raw REQUEST: send REQUEST (its \r\n escapes expanded) and print the answer's status line.
raw() {
	printf '%b' "$1" | busybox timeout 10 busybox nc 127.0.0.1 "$STATS_PORT" | head -n 1 | tr -d '\r'
}
# raw_headers REQUEST: the whole header block of the answer.
raw_headers() {
	printf '%b' "$1" | busybox timeout 10 busybox nc 127.0.0.1 "$STATS_PORT" | sed '/^\r$/q' | tr -d '\r'
}

expect_eq "POST /varz" "HTTP/1.1 405 Method Not Allowed" "$(raw 'POST /varz HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc')"
raw_headers 'PUT /metrics HTTP/1.0\r\n\r\n' | grep -qx "Allow: GET, HEAD, OPTIONS" || fail "405 without an Allow header"
expect_eq "GET /nope" "HTTP/1.1 404 Not Found" "$(raw 'GET /nope HTTP/1.0\r\n\r\n')"
headers=$(raw_headers 'OPTIONS /varz HTTP/1.0\r\n\r\n')
for h in "HTTP/1.1 200 OK" "Allow: GET, HEAD, OPTIONS"; do
	printf '%s\n' "$headers" | grep -qxF "$h" || fail "OPTIONS /varz lacks '$h': $headers"
done
headers=$(raw_headers 'GET /varz HTTP/1.0\r\n\r\n')
printf '%s\n' "$headers" | grep -qxF "Content-Type: application/json; charset=utf-8" || fail "/varz content type: $headers"
for request in 'GET /varz' 'OPTIONS /varz' 'GET /sessions' 'GET /nope'; do
	headers=$(raw_headers "$request HTTP/1.0\r\n\r\n")
	printf '%s\n' "$headers" | grep -qi "^Access-Control-" && fail "$request sends CORS without stats-cors-origin: $headers"
done
headers=$(raw_headers 'GET /sessions HTTP/1.0\r\n\r\n')
for h in "X-Sessions-Total: 0" "X-Sessions-Limit: 10000"; do
	printf '%s\n' "$headers" | grep -qxF "$h" || fail "/sessions lacks '$h': $headers"
done
headers=$(raw_headers 'GET /metrics HTTP/1.0\r\n\r\n')
printf '%s\n' "$headers" | grep -qxF "Content-Type: text/plain; version=0.0.4; charset=utf-8" ||
	fail "/metrics content type: $headers"
note "405, 404, OPTIONS, no CORS, /sessions headers and content types as documented"

# stats-cors-origin, applied by a reload: exactly that origin, and goxot's preflight answer.
origin=http://dash.example:3000
# Written aside and moved into place, so the watched directory never shows half a file.
config=$X25LO_CONFIG
X25LO_CONFIG=/tmp/config.next
write_config '"127001","127002"' "\"stats-cors-origin\": \"$origin\""
X25LO_CONFIG=$config
mv /tmp/config.next "$X25LO_CONFIG"
kill -HUP "$X25LO_PID"
cors_applied() { raw_headers 'GET /varz HTTP/1.0\r\n\r\n' | grep -qxF "Access-Control-Allow-Origin: $origin"; }
wait_for "the reload to apply stats-cors-origin" 50 cors_applied
headers=$(raw_headers 'OPTIONS /metrics HTTP/1.0\r\n\r\n')
for h in "HTTP/1.1 200 OK" "Access-Control-Allow-Origin: $origin" "Access-Control-Allow-Methods: GET, OPTIONS" \
	"Access-Control-Allow-Headers: Content-Type"; do
	printf '%s\n' "$headers" | grep -qxF "$h" || fail "OPTIONS /metrics with stats-cors-origin lacks '$h': $headers"
done
[ "$(printf '%s\n' "$headers" | grep -ci '^Access-Control-Allow-Origin:')" -eq 1 ] || fail "more than one origin: $headers"
note "stats-cors-origin $origin applied on reload"

# Garbage: refused with 400 or dropped, and the server goes on.
status=$(raw '\026\003\001\377\377garbage\r\n\r\n')
case $status in "" | "HTTP/1.1 400 Bad Request") ;; *) fail "garbage got: $status" ;; esac
expect_eq "GET after garbage" "HTTP/1.1 200 OK" "$(raw 'GET /varz HTTP/1.0\r\n\r\n')"

# stuck N: N clients that send half a request and then nothing (their stdin stays open).
stuck_pids=""
stuck() {
	i=0
	while [ "$i" -lt "$1" ]; do
		(printf 'GET /varz HTTP/1.1\r\nHost: x'; sleep 60) | busybox nc 127.0.0.1 "$STATS_PORT" >/dev/null 2>&1 &
		stuck_pids="$stuck_pids $!"
		i=$((i + 1))
	done
}
# server_connections_at_least N: at least N established TCP sockets whose local port is 8004.
server_connections_at_least() {
	[ "$(awk '$2 ~ /:1F44$/ && $4 == "01"' /proc/net/tcp | wc -l)" -ge "$1" ]
}

stuck 5
wait_for "5 stuck clients to connect" 50 server_connections_at_least 5
expect_eq "GET with 5 stuck clients" "HTTP/1.1 200 OK" "$(raw 'GET /varz HTTP/1.0\r\n\r\n')"

# Take every connection slot (the limit is 64), then check that calls still flow.
stuck 70
wait_for "the stuck clients to take every slot" 100 server_connections_at_least 64
# (what a new HTTP client gets now: refused, or queued until a slot frees; only noted)
note "a new HTTP client while saturated gets: '$(printf 'GET /varz HTTP/1.0\r\n\r\n' | busybox timeout 2 busybox nc 127.0.0.1 "$STATS_PORT" 2>&1 | head -n 1 | tr -d '\r')'"
out=$(x25test call 127002 -s 127001 --calls 200 --parallel 4 --timeout 20) || fail "calls with the server saturated: $out"
echo "$out" | grep -q " failed=0 " || fail "calls failed while HTTP clients hung: $out"
note "calls while 75 HTTP clients hang: $out"

# MHD drops the idle clients after its 10 s connection timeout; then it answers again.
served() { [ "$(raw 'GET /varz HTTP/1.0\r\n\r\n')" = "HTTP/1.1 200 OK" ]; }
wait_for "the server to drop idle clients and answer again" 250 served
note "the server answers again after dropping idle clients"
for pid in $stuck_pids; do kill "$pid" 2>/dev/null; done
no_server_connections() { ! server_connections_at_least 1; }
wait_for "the stuck clients to be gone" 100 no_server_connections

# trickle N: N clients that send a request line, then one byte a second for 30 s.
trickle() {
	i=0
	while [ "$i" -lt "$1" ]; do
		(
			printf 'GET /varz HTTP/1.1\r\n'
			j=0
			while [ "$j" -lt 30 ]; do
				printf 'X'
				sleep 1
				j=$((j + 1))
			done
		) | busybox nc 127.0.0.1 "$STATS_PORT" >/dev/null 2>&1 &
		i=$((i + 1))
	done
}
start=$(uptime_ms)
trickle 64
wait_for "the trickling clients to take every slot" 100 server_connections_at_least 64
# Waiting behind them, a normal client is answered once their 10 s are up (not after 30 s).
status=$(printf 'GET /varz HTTP/1.0\r\n\r\n' | busybox timeout 25 busybox nc 127.0.0.1 "$STATS_PORT" | head -n 1 | tr -d '\r')
waited=$(($(uptime_ms) - start))
expect_eq "GET behind 64 trickling clients" "HTTP/1.1 200 OK" "$status"
[ "$waited" -le 15000 ] || fail "a client behind 64 trickling ones waited $waited ms; they should be closed after 10 s"
note "a client behind 64 trickling ones was answered after $waited ms"
kill -0 "$X25LO_PID" || fail "x25lo died"

expect_clean
assert_idle
stop_x25lo
echo "PASS"
