# SPDX-License-Identifier: GPL-2.0
# Docs live with the code: the man page lists every option of each
# command's --help, under that command or COMMON OPTIONS, and each option
# it lists under a command is one that command takes.

test_man_page_matches_help() {
	local cmd out
	for cmd in sizes handshakes accept resets diag export; do
		"$WS" "$cmd" --help >"$WS_TMP/help.$cmd" || fail "$cmd --help"
		out=$(python3 - "$cmd" "$WS_TMP/help.$cmd" docs/wirescope.8 <<'PY'
import re, sys
cmd, help_file, man_file = sys.argv[1:]
OPT = re.compile(r'(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])\b')

def items(name, kind):
    """The option tokens of the .TP items of one .SS or .SH section."""
    toks, inside, prev = set(), False, ''
    for line in open(man_file):
        line = line.replace('\\-', '-').rstrip('\n')
        if line.startswith(('.SS ', '.SH ')):
            inside = line == '%s %s' % (kind, name)
        elif inside and prev == '.TP':
            toks |= set(OPT.findall(line))
        prev = line
    return toks

mine, common = items(cmd, '.SS'), items('COMMON OPTIONS', '.SH')
helped = set()
for line in open(help_file):
    m = re.match(r'^ {2,6}(?:(-\w), )?(--[a-z][a-z-]*)', line)
    if not m:
        continue
    short, long_ = m.groups()
    helped |= {t for t in (short, long_) if t}
    if not ({short, long_} & (mine | common)):
        print('%s %s: in --help, not in the man page' % (cmd, long_))
for t in sorted(mine - helped):
    print('%s %s: in the man page, not in --help' % (cmd, t))
PY
)
		assert_eq "$out" "" "man page against $cmd --help"
	done
}

# accept --help explains every column accept prints, and no other.
test_accept_help_names_its_columns() {
	pair_lab
	local hdr named c
	hdr=$(ip netns exec "$A" "$WS" accept 0.1 1 | head -1)
	assert_match "$hdr" '^LISTENER ' "accept's header"
	"$WS" accept --help >"$WS_TMP/help"
	named=$(awk '/^  [A-Z][A-Z-]+ /{ print $1 }' "$WS_TMP/help")
	for c in $hdr; do
		grep -qw -- "$c" "$WS_TMP/help" || fail "column $c: not in accept --help"
	done
	for c in $named; do
		grep -qw -- "$c" <<<"$hdr" || fail "accept --help explains $c: no such column"
	done
}
