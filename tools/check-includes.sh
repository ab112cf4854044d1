#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Includes point only down: commands -> collectors -> core -> headers/.
#   - headers/ includes only headers/ (and system headers);
#   - user/core/ includes nothing from collectors/ or commands/;
#   - a collector includes no other collector's header and no command's;
#   - every project include names its folder (core/..., collectors/...).
# Prints one line per include that points up and exits 1 if there is any.
#   tools/check-includes.sh [ROOT]   (default: the repository)
set -uo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
bad=0

# A collector's module: its name up to the first '_' or '.', except the
# files that belong to another concern's module.
module_of() {
	local b
	b=$(basename "$1")
	case $b in
	accept*) echo handshakes ;;
	verdict* | locate*) echo resets ;;
	*) echo "${b%%[_.]*}" ;;
	esac
}

up() {
	echo "$1: includes $2 ($3)"
	bad=1
}

includes() { sed -n 's/^#include "\([^"]*\)".*/\1/p' "$1"; }

for f in headers/*.h; do
	for inc in $(includes "$f"); do
		[ -f "headers/$inc" ] || up "$f" "$inc" "headers/ includes only headers/"
	done
done
for f in user/core/*.[ch]; do
	for inc in $(includes "$f"); do
		case $inc in
		collectors/* | commands/*) up "$f" "$inc" "the core includes no collector or command" ;;
		esac
	done
done
for f in user/collectors/*.[ch]; do
	for inc in $(includes "$f"); do
		case $inc in
		commands/*) up "$f" "$inc" "a collector includes no command" ;;
		collectors/*)
			[ "$(module_of "$inc")" = "$(module_of "$f")" ] ||
				up "$f" "$inc" "a collector includes no other collector"
			;;
		esac
	done
done
for f in user/*.c user/*/*.[ch]; do
	for inc in $(includes "$f"); do
		case $inc in
		core/* | collectors/* | commands/* | wirescope.skel.h) ;;
		*) [ -f "headers/$inc" ] || up "$f" "$inc" "not under core/, collectors/, commands/ or headers/" ;;
		esac
	done
done
exit $bad
