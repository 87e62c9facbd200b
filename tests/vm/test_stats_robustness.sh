# The stats server never lets a client stall the relay: calls keep flowing while clients
# send garbage, never finish their request, or hold every connection slot; those clients
# are dropped after the connection timeout (10 s) and the server answers again. Methods
# other than GET/HEAD/OPTIONS get 405 with Allow, unknown paths 404, OPTIONS goxot's CORS.
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
for h in "HTTP/1.1 200 OK" "Access-Control-Allow-Origin: *" "Access-Control-Allow-Methods: GET, OPTIONS" \
	"Access-Control-Allow-Headers: Content-Type"; do
	printf '%s\n' "$headers" | grep -qxF "$h" || fail "OPTIONS /varz lacks '$h': $headers"
done
headers=$(raw_headers 'GET /varz HTTP/1.0\r\n\r\n')
printf '%s\n' "$headers" | grep -qxF "Content-Type: application/json; charset=utf-8" || fail "/varz content type: $headers"
headers=$(raw_headers 'GET /metrics HTTP/1.0\r\n\r\n')
printf '%s\n' "$headers" | grep -qxF "Content-Type: text/plain; version=0.0.4; charset=utf-8" ||
	fail "/metrics content type: $headers"
note "405, 404, OPTIONS and content types as documented"

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
kill -0 "$X25LO_PID" || fail "x25lo died"

expect_clean
assert_idle
stop_x25lo
echo "PASS"
