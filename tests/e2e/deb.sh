# SPDX-License-Identifier: GPL-2.0
# The Debian package (make deb, tools/deb/build.sh), built from the binary
# under test ($WS), linted, installed on this machine and purged again.
#
# lintian: any E: or W: tag fails (a tag that must stay is overridden in
# tools/deb/lintian-overrides, with its reason), and so does an override
# that no longer matches anything; I: and P: tags are only logged.
#
# These tests install a package called wirescope.  They never touch one that
# they did not install: when one is there already, they skip.  What they
# install they purge, pass or fail; $DEB_MARK holds the version they
# installed, so that a run killed before its cleanup is purged by the next.

DEB_MARK=/run/wirescope-tests.deb-installed
UNIT=wirescope-exporter.service

deb_cleanup() {
	[ -f "$DEB_MARK" ] || return 0
	if [ "$(dpkg-query -W -f='${Version}' wirescope 2>/dev/null)" = "$(cat "$DEB_MARK")" ]; then
		dpkg --purge wirescope >/dev/null 2>&1 || echo "cleanup: dpkg --purge wirescope failed" >&2
	fi
	rm -f "$DEB_MARK"
}

# deb_setup: build $DEB from $WS into $WS_TMP, after making sure that no
# wirescope package but one left by this test is installed.
deb_setup() {
	[ "${WS_SANITIZE:-}" = 1 ] && skip "the package holds the static binary: the plain make test checks it"
	local st ver
	st=$(dpkg-query -W -f='${db:Status-Status}' wirescope 2>/dev/null || true)
	if [ -n "$st" ] && [ "$st" != not-installed ]; then
		ver=$(dpkg-query -W -f='${Version}' wirescope)
		if [ -f "$DEB_MARK" ] && [ "$(cat "$DEB_MARK")" = "$ver" ]; then
			log "purging wirescope $ver, left by an earlier run of this test"
			dpkg --purge wirescope >&2
		else
			skip "a wirescope package ($ver, $st) is installed, not by this test: not touching it"
		fi
	fi
	rm -f "$DEB_MARK"
	trap 'rc=$?; deb_cleanup || true; ws_cleanup "$rc"' EXIT
	DEB=$(tools/deb/build.sh -o "$WS_TMP" -b "$WS") || fail "tools/deb/build.sh failed"
	DEB_VERSION=$(dpkg-deb -f "$DEB" Version)
	log "built $(basename "$DEB")"
	# The package's paths ("./usr/sbin/wirescope" -> "/usr/sbin/wirescope"),
	# and those that already exist (shared directories such as /usr/sbin).
	dpkg-deb --fsys-tarfile "$DEB" | tar -t | sed -e 's|^\.||' -e 's|/$||' -e '/^$/d' >"$WS_TMP/paths"
	while read -r p; do
		if [ -e "$p" ] || [ -L "$p" ]; then echo "$p"; fi
	done <"$WS_TMP/paths" >"$WS_TMP/existed"
}

deb_install() {
	echo "$DEB_VERSION" >"$DEB_MARK" # first: a half-done install is ours too
	dpkg -i "$DEB" >&2 || fail "dpkg -i $(basename "$DEB")"
	assert_eq "$(dpkg-query -W -f='${db:Status-Status} ${Version}' wirescope)" \
		"installed $DEB_VERSION" "package status after dpkg -i"
}

# deb_purge_leaves_nothing: purge, then no path of the package is left but
# the directories that were there before it, and no systemd link or state.
deb_purge_leaves_nothing() {
	local p left=
	dpkg --purge wirescope >&2 || fail "dpkg --purge wirescope"
	rm -f "$DEB_MARK"
	assert_eq "$(dpkg-query -W -f='${db:Status-Status}' wirescope 2>/dev/null || echo not-installed)" \
		not-installed "package status after purge"
	while read -r p; do
		grep -qxF -- "$p" "$WS_TMP/existed" && continue
		if [ -e "$p" ] || [ -L "$p" ]; then left+=" $p"; fi
	done <"$WS_TMP/paths"
	assert_eq "$left" "" "paths of the package left after purge"
	[ -e /etc/default/wirescope-exporter ] && fail "/etc/default/wirescope-exporter left after purge"
	assert_eq "$(find /etc/systemd /var/lib/systemd /var/lib/dpkg/info -name "*wirescope*" 2>/dev/null)" "" \
		"systemd links, deb-systemd-helper state or dpkg info left after purge"
}

# Build, lint, install, run, verify the unit, purge: nothing is left.
test_deb_install_verify_purge() {
	deb_setup
	local out p
	# The version is valid, and the package holds what it should.
	dpkg --validate-version "$DEB_VERSION" || fail "invalid version '$DEB_VERSION'"
	assert_match "$(basename "$DEB")" "^wirescope_${DEB_VERSION//+/\\+}_$(dpkg --print-architecture)\.deb$" "file name"
	for p in /usr/sbin/wirescope /usr/share/man/man8/wirescope.8.gz /lib/systemd/system/$UNIT \
		/etc/default/wirescope-exporter /usr/share/wirescope/wirescope-rules.yml \
		/usr/share/wirescope/grafana-dashboard.json /usr/share/doc/wirescope/copyright \
		/usr/share/doc/wirescope/changelog.gz /usr/share/lintian/overrides/wirescope; do
		grep -qxF "$p" "$WS_TMP/paths" || fail "$p is not in the package"
	done
	assert_match "$(dpkg-deb -c "$DEB" | grep ' \./usr/sbin/wirescope$')" '^-rwxr-xr-x root/root ' "binary mode and owner"
	assert_eq "$(dpkg-deb -I "$DEB" conffiles)" /etc/default/wirescope-exporter "conffiles"

	out=$(lintian --fail-on error,warning -I --pedantic "$DEB" 2>&1) || fail "lintian: $out"
	log "lintian: ${out:-no tags}"
	grep -E '^[EW]: ' <<<"$out" && fail "lintian errors or warnings"
	grep -E 'unused-override|mismatched-override' <<<"$out" && fail "stale lintian override"

	deb_install
	assert_match "$(/usr/sbin/wirescope --version)" '^wirescope [0-9a-g.-]+' "/usr/sbin/wirescope --version"
	assert_eq "$(man -w wirescope)" /usr/share/man/man8/wirescope.8.gz "man -w wirescope"
	# Checks the unit's syntax, that ExecStart's binary is executable and
	# that the man page in Documentation= exists.
	out=$(systemd-analyze verify /lib/systemd/system/$UNIT 2>&1) || fail "systemd-analyze verify: $out"
	grep -F "$UNIT" <<<"$out" && fail "systemd-analyze verify complains"
	# Installed, neither enabled nor started.
	assert_eq "$(systemctl is-enabled $UNIT 2>&1 || true)" disabled "systemctl is-enabled"
	assert_eq "$(find /etc/systemd/system -name "$UNIT" 2>/dev/null)" "" "enable links after install"
	if [ -d /run/systemd/system ]; then
		assert_eq "$(systemctl is-active $UNIT 2>&1 || true)" inactive "systemctl is-active"
	fi
	# The flags file is the conffile and gives ExecStart its flags.
	assert_match "$(dpkg-query -W -f='${Conffiles}' wirescope)" '^ /etc/default/wirescope-exporter [0-9a-f]{32}$' "conffiles"
	assert_match "$(. /etc/default/wirescope-exporter && echo "$WIRESCOPE_ARGS")" '^-i [a-z0-9]+ ' "WIRESCOPE_ARGS"
	grep -qx 'EnvironmentFile=/etc/default/wirescope-exporter' /lib/systemd/system/$UNIT || fail "no EnvironmentFile="
	# --wait-interface out of the flags file, so that editing it keeps it.
	grep -qx 'ExecStart=/usr/sbin/wirescope export --wait-interface $WIRESCOPE_ARGS' /lib/systemd/system/$UNIT || fail "ExecStart="

	deb_purge_leaves_nothing
}

# An admin enables the unit; an upgrade keeps it enabled; remove keeps the
# flags file (a conffile) and masks the unit; purge removes every link the
# admin's `systemctl enable` made, the mask and the flags file.
test_deb_enabled_remove_purge() {
	deb_setup
	deb_install
	echo 'WIRESCOPE_ARGS="-i lo --user nobody"' >>/etc/default/wirescope-exporter
	systemctl enable $UNIT >&2 || fail "systemctl enable $UNIT"
	[ -L /etc/systemd/system/multi-user.target.wants/$UNIT ] || fail "no enable link"
	dpkg -i "$DEB" >&2 || fail "dpkg -i again (upgrade)"
	[ -L /etc/systemd/system/multi-user.target.wants/$UNIT ] || fail "enable link lost on upgrade"
	assert_eq "$(systemctl is-enabled $UNIT 2>&1 || true)" enabled "systemctl is-enabled after upgrade"
	grep -q '^WIRESCOPE_ARGS="-i lo ' /etc/default/wirescope-exporter || fail "the edited flags file was replaced"
	dpkg -r wirescope >&2 || fail "dpkg -r wirescope"
	assert_eq "$(dpkg-query -W -f='${db:Status-Status}' wirescope)" config-files "status after dpkg -r"
	[ -e /usr/sbin/wirescope ] && fail "/usr/sbin/wirescope left after dpkg -r"
	[ -f /etc/default/wirescope-exporter ] || fail "dpkg -r removed the conffile"
	deb_purge_leaves_nothing
}

# unit_serves PORT: the unit is active and its exporter answers on PORT.
unit_serves() {
	systemctl is-active --quiet $UNIT && curl -sf "http://127.0.0.1:$1/metrics" >/dev/null
}

# unit_failed_with CODE: the unit gave up (failed, not restarting) with
# the exporter's exit status CODE, within 10 s.
unit_failed_with() {
	wait_until 10 systemctl is-failed --quiet $UNIT ||
		fail "unit not failed after exit $1: $(systemctl show -p ActiveState,SubState,NRestarts $UNIT | paste -sd' ')"
	assert_eq "$(systemctl show -p ExecMainStatus --value $UNIT)" "$1" "exit status of the failed unit"
	assert_eq "$(systemctl show -p NRestarts --value $UNIT)" 0 "restarts after exit $1"
	systemctl reset-failed $UNIT
}

# Where systemd runs the host: the unit's sandbox (system-call filter,
# ProtectSystem=strict, bounding set...) lets the exporter attach, read
# every collector and drop its privileges; `systemctl stop` is a clean
# exit 0 with nothing left attached; a bad interface name (5: too long; a
# missing one is waited for, below) or a kernel without BTF (6) fails the
# unit at once instead of restarting it forever.
test_deb_unit_runs_under_systemd() {
	[ -d /run/systemd/system ] || skip "systemd does not run this host"
	deb_setup
	deb_install
	local flags=/etc/default/wirescope-exporter pid ids out
	echo 'WIRESCOPE_ARGS="-i lo --listen 127.0.0.1:19462 --user nobody"' >>"$flags"
	systemctl start $UNIT || fail "systemctl start $UNIT"
	wait_until 10 unit_serves 19462 ||
		fail "the unit does not serve: $(journalctl -u $UNIT -n 5 --no-pager 2>&1)"
	out=$(curl -sS http://127.0.0.1:19462/metrics)
	assert_match "$out" 'wirescope_programs_attached\{hook="tc"\} 2' "tc programs under the unit"
	assert_match "$out" 'wirescope_scrape_collector_success\{collector="accept"\} 1' "accept read under the unit"
	grep -E '^wirescope_scrape_collector_success.* 0$' <<<"$out" && fail "a collector fails under the unit"
	pid=$(systemctl show -p MainPID --value $UNIT)
	assert_match "$(cat "/proc/$pid/status")" $'CapEff:\t0000000000000000' "CapEff under the unit"
	ids=$(prog_ids "$pid")
	[ -n "$ids" ] || fail "the exporter holds no BPF program"
	systemctl stop $UNIT || fail "systemctl stop $UNIT"
	assert_eq "$(systemctl show -p Result --value $UNIT)" success "Result after systemctl stop"
	assert_eq "$(systemctl show -p ExecMainStatus --value $UNIT)" 0 "exit status after systemctl stop"
	# shellcheck disable=SC2086 # one id per word
	assert_eq "$(progs_alive $ids)" "" "programs left after systemctl stop"

	echo 'WIRESCOPE_ARGS="-i nosuch0nosuch0nosuch0 --listen 127.0.0.1:19462"' >>"$flags"
	systemctl start $UNIT || fail "systemctl start $UNIT (interface name too long)"
	unit_failed_with 5
	echo 'WIRESCOPE_ARGS="-i lo --listen 127.0.0.1:19462"' >>"$flags"
	echo 'WIRESCOPE_TEST_NO_BTF=1' >>"$flags"
	systemctl start $UNIT || fail "systemctl start $UNIT (no BTF)"
	unit_failed_with 6
	deb_purge_leaves_nothing
}

# restarted_once PID [N]: the unit was restarted once (N times), its
# exporter is no longer PID, and the new one serves on 19462.
restarted_once() {
	[ "$(systemctl show -p NRestarts --value $UNIT)" = "${2:-1}" ] &&
		[ "$(systemctl show -p MainPID --value $UNIT)" != "$1" ] && unit_serves 19462
}

# journal_has PID REGEX: exporter PID logged a line matching REGEX.
journal_has() {
	journalctl _PID="$1" --no-pager -o cat 2>/dev/null | grep -Eq -- "$2"
}

# exited_9: the exporter exited 9 and the unit waits RestartSec to restart.
exited_9() {
	[ "$(systemctl show -p SubState --value $UNIT)" = auto-restart ] &&
		[ "$(systemctl show -p ExecMainStatus --value $UNIT)" = 9 ]
}

# start_unit_on_wsrt0: the unit started with -i wsrt0, serving on 19462.
start_unit_on_wsrt0() {
	echo 'WIRESCOPE_ARGS="-i wsrt0 --listen 127.0.0.1:19462 --user nobody"' >>/etc/default/wirescope-exporter
	systemctl start $UNIT || fail "systemctl start $UNIT"
	wait_until 10 unit_serves 19462 ||
		fail "the unit does not serve: $(journalctl -u $UNIT -n 5 --no-pager 2>&1)"
}

# wsrt0_watched 0|1: what a scrape says of wsrt0, and its tc programs.
wsrt0_watched() {
	local out
	out=$(curl -sS http://127.0.0.1:19462/metrics)
	assert_match "$out" "wirescope_interface_watched\\{interface=\"wsrt0\"\\} $1" "wsrt0 watched: $1"
	assert_match "$out" "wirescope_programs_attached\\{hook=\"tc\"\\} $((2 * $1))" "tc programs"
}

# Boot ordering: -i wsrt0 does not exist yet when the unit starts (a NIC
# driver, bond, VLAN or container veth that comes after
# network-online.target).  The unit's --wait-interface serves without it,
# at 0 in wirescope_interface_watched, and says so once; once it exists the
# exporter exits 9 and the unit restarts it once, which watches it.
# Without the option the unit failed at once with exit 5, not retried.
test_deb_unit_waits_for_missing_iface() {
	[ -d /run/systemd/system ] || skip "systemd does not run this host"
	deb_setup
	trap 'rc=$?; deb_cleanup || true; ip link del wsrt0 2>/dev/null || true; ws_cleanup "$rc"' EXIT
	deb_install
	local pid
	ip link del wsrt0 2>/dev/null || true
	start_unit_on_wsrt0
	wsrt0_watched 0
	pid=$(systemctl show -p MainPID --value $UNIT)
	wait_until 5 journal_has "$pid" '^wirescope: export: no interface is named wsrt0 yet; serving without it' ||
		fail "no line for the missing wsrt0: $(journalctl -u $UNIT -n 5 --no-pager 2>&1)"
	ip link add wsrt0 type veth peer name wsrt1 || fail "ip link add wsrt0"
	ip link set wsrt0 up
	wait_until 20 restarted_once "$pid" ||
		fail "not restarted: $(systemctl show -p ActiveState,SubState,NRestarts,ExecMainStatus $UNIT | paste -sd' '); $(journalctl -u $UNIT -n 5 --no-pager 2>&1)"
	wsrt0_watched 1
	systemctl stop $UNIT || fail "systemctl stop $UNIT"
	assert_eq "$(systemctl show -p ExecMainStatus --value $UNIT)" 0 "exit status after systemctl stop"
	ip link del wsrt0
	deb_purge_leaves_nothing
}

# The interface back (exit 9), then gone again within RestartSec: the
# restarted exporter waits for it (it exited 5, not retried, before
# --wait-interface), and its next return restarts it again.
test_deb_unit_iface_gone_again_before_restart() {
	[ -d /run/systemd/system ] || skip "systemd does not run this host"
	deb_setup
	trap 'rc=$?; deb_cleanup || true; ip link del wsrt0 2>/dev/null || true; ws_cleanup "$rc"' EXIT
	deb_install
	local pid
	ip link add wsrt0 type veth peer name wsrt1 || fail "ip link add wsrt0"
	start_unit_on_wsrt0
	pid=$(systemctl show -p MainPID --value $UNIT)
	ip link del wsrt0
	ip link add wsrt0 type veth peer name wsrt1 || fail "ip link add wsrt0 again"
	wait_until 5 exited_9 ||
		fail "no exit 9: $(systemctl show -p SubState,ExecMainStatus $UNIT | paste -sd' ')"
	ip link del wsrt0
	wait_until 20 restarted_once "$pid" ||
		fail "not restarted: $(systemctl show -p ActiveState,SubState,NRestarts,ExecMainStatus $UNIT | paste -sd' '); $(journalctl -u $UNIT -n 5 --no-pager 2>&1)"
	wsrt0_watched 0
	pid=$(systemctl show -p MainPID --value $UNIT)
	ip link add wsrt0 type veth peer name wsrt1 || fail "ip link add wsrt0 a third time"
	wait_until 20 restarted_once "$pid" 2 ||
		fail "not restarted again: $(systemctl show -p ActiveState,SubState,NRestarts,ExecMainStatus $UNIT | paste -sd' ')"
	wsrt0_watched 1
	systemctl stop $UNIT || fail "systemctl stop $UNIT"
	ip link del wsrt0
	deb_purge_leaves_nothing
}

# The watched interface deleted and re-created under its name (a driver
# reload): the exporter, which dropped the privileges to attach, exits 9;
# the unit restarts it once, RestartSec=5s later, and the new process
# watches the new interface.
test_deb_unit_restarts_when_iface_back() {
	[ -d /run/systemd/system ] || skip "systemd does not run this host"
	deb_setup
	trap 'rc=$?; deb_cleanup || true; ip link del wsrt0 2>/dev/null || true; ws_cleanup "$rc"' EXIT
	deb_install
	local flags=/etc/default/wirescope-exporter pid out
	ip link add wsrt0 type veth peer name wsrt1 || fail "ip link add wsrt0"
	ip link set wsrt0 up
	echo 'WIRESCOPE_ARGS="-i wsrt0 --listen 127.0.0.1:19462 --user nobody"' >>"$flags"
	systemctl start $UNIT || fail "systemctl start $UNIT"
	wait_until 10 unit_serves 19462 ||
		fail "the unit does not serve: $(journalctl -u $UNIT -n 5 --no-pager 2>&1)"
	pid=$(systemctl show -p MainPID --value $UNIT)
	ip link del wsrt0
	ip link add wsrt0 type veth peer name wsrt1 || fail "ip link add wsrt0 again"
	ip link set wsrt0 up
	wait_until 20 restarted_once "$pid" ||
		fail "not restarted: $(systemctl show -p ActiveState,SubState,NRestarts,ExecMainStatus $UNIT | paste -sd' '); $(journalctl -u $UNIT -n 5 --no-pager 2>&1)"
	out=$(curl -sS http://127.0.0.1:19462/metrics)
	assert_match "$out" 'wirescope_interface_watched\{interface="wsrt0"\} 1' "the new wsrt0 watched"
	assert_match "$out" 'wirescope_programs_attached\{hook="tc"\} 2' "tc programs on the new wsrt0"
	systemctl stop $UNIT || fail "systemctl stop $UNIT"
	assert_eq "$(systemctl show -p ExecMainStatus --value $UNIT)" 0 "exit status after systemctl stop"
	ip link del wsrt0
	deb_purge_leaves_nothing
}
