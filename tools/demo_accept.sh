# SPDX-License-Identifier: GPL-2.0
# Demo part (sourced by tools/demo.sh after lab_up; uses FRONT, CLIENTS,
# WS, TMP, say and nslib_track): the Nginx incident, an accept queue that
# overflows while the rest of the host looks healthy.  Bounded: 1,000
# connections, servers that exit after 20 s.

accept_overflow() {
	local srv="$TMP/accept-srv.ready" ready="$TMP/accept.ready" ws i
	local py=tests/e2e/py
	say "Incident 2: nginx's accept queue is full"
	echo "port 80 listens with nginx's default backlog (511) behind a worker too busy"
	echo "to accept; port 8080 is healthy.  300 clients use 8080, then 700 arrive at"
	echo "once on port 80.  wirescope accept watches the server (-i f0 adds the wire"
	echo "evidence):"
	echo
	ip netns exec "$FRONT" python3 "$py/hs_server.py" "$srv" 20 \
		198.18.0.1,80,stuck,511 198.18.0.1,8080,accept &
	nslib_track $!
	for i in $(seq 100); do [ -s "$srv" ] && break; sleep 0.05; done
	echo "\$ wirescope accept -i f0 1 4"
	ip netns exec "$FRONT" "$WS" accept -i f0 --ready-file "$ready" 1 4 &
	ws=$!
	nslib_track "$ws"
	for i in $(seq 100); do [ -s "$ready" ] && break; sleep 0.05; done
	[ -s "$ready" ] || { echo "wirescope did not start" >&2; exit 1; }
	ip netns exec "$CLIENTS" python3 "$py/hs_client.py" churn 198.18.0.1 8080 300 >/dev/null
	ip netns exec "$CLIENTS" python3 "$py/hs_client.py" burst 198.18.0.1 80 700 2 >/dev/null
	wait "$ws" || true
}
