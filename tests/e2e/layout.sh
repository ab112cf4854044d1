# SPDX-License-Identifier: GPL-2.0
# The source tree's architecture: includes point only down
# (commands -> collectors -> core -> headers/), checked by
# tools/check-includes.sh on the real tree and on trees that break a rule.

test_includes_point_down() {
	tools/check-includes.sh || fail "an include points up (above)"
	local d
	for d in core collectors commands; do
		[ -n "$(ls user/$d/*.c 2>/dev/null)" ] || fail "user/$d/ has no module"
	done
}

# Each rule, broken once in a copy of the tree, must be caught.
test_includes_check_catches_upward() {
	local t=$WS_TMP/tree case
	for case in "user/core/session.c:collectors/sizes_collector.h" \
		"user/core/output.c:commands/diag.h" \
		"user/collectors/accept.c:collectors/resets_collector.h" \
		"user/collectors/sizes.c:commands/commands.h" \
		"headers/sizes.h:core/core.h"; do
		rm -rf "$t" && mkdir -p "$t/user" "$t/tools"
		cp -r headers "$t/" && cp -r user/* "$t/user/"
		echo "#include \"${case#*:}\"" >>"$t/${case%%:*}"
		if tools/check-includes.sh "$t" >"$WS_TMP/check.out"; then
			fail "not caught: ${case%%:*} including ${case#*:}"
		fi
		assert_match "$(cat "$WS_TMP/check.out")" "${case%%:*}: includes ${case#*:}" "the line names the file"
	done
}
