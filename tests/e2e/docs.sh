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

# The finding ids diag --help lists, the man page lists, docs/diag.md's
# table explains and the code can emit are one set.
test_finding_ids_agree() {
	"$WS" diag --help >"$WS_TMP/help.diag" || fail "diag --help"
	local out
	out=$(python3 - "$WS_TMP/help.diag" docs/wirescope.8 docs/diag.md user <<'PY'
import glob, re, sys
help_file, man_file, md_file, src = sys.argv[1:]
ID = re.compile(r'\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\bhealthy\b')

text = open(help_file).read()
helped = set(ID.findall(text.split('Finding ids', 1)[1].split('\n\n', 1)[0]))

man = open(man_file).read().replace('\\-', '-')
manned = set(ID.findall(man.split('Finding ids:', 1)[1].split('Their rules', 1)[0]))

md = open(md_file).read().split('\n## Findings\n', 1)[1]
table = md.split('\n| id |', 1)[1].split('\n\n', 1)[0]
tabled = set(re.findall(r'^\| `([a-z_]+)`', table, re.M))

# The id argument of every call that makes a finding: its literals
# (one, or two in a ?: expression).
emitted = set()
CALL = re.compile(r'\b(ws_finding_add|sysctl_finding|finding_new)\(([^;]*)')
for path in glob.glob(src + '/**/*.c', recursive=True):
    for fn, args in CALL.findall(open(path).read()):
        arg = args.split(',')[2 if fn == 'finding_new' else 1]
        emitted |= set(re.findall(r'"([a-z][a-z_]+)"', arg))

sets = {'diag --help': helped, 'the man page': manned,
        'docs/diag.md': tabled, 'the code': emitted}
every = set().union(*sets.values())
for name, ids in sets.items():
    for i in sorted(every - ids):
        print('%s: not in %s' % (i, name))
PY
)
	assert_eq "$out" "" "finding ids across diag --help, man page, docs/diag.md, code"
}

# The exit codes of the README's table, the man page's EXIT STATUS and
# user/core/core.h are the same; each --help names only those, every one
# of 3 to 8, and 1, 2 (diag) and 9 (export) only where they apply.
test_exit_codes_agree() {
	local cmd
	for cmd in sizes handshakes accept resets diag export; do
		"$WS" "$cmd" --help >"$WS_TMP/help.$cmd" || fail "$cmd --help"
	done
	local out
	out=$(python3 - "$WS_TMP" README.md docs/wirescope.8 user/core/core.h <<'PY'
import re, sys
tmp, readme, man_file, core_h = sys.argv[1:]

enum = open(core_h).read().split('enum ws_exit {', 1)[1].split('};', 1)[0]
code = {int(v) for v in re.findall(r'WS_EXIT_\w+ = (\d+)', enum)} | {1, 2}

sect = open(readme).read().split('\n## Exit codes\n', 1)[1].split('\n## ', 1)[0]
readme_codes = set()
for cell in re.findall(r'^\| ([\d, ]+) \|', sect, re.M):
    readme_codes |= {int(c) for c in cell.split(',')}

man = open(man_file).read().split('.SH EXIT STATUS', 1)[1].split('.SH ', 1)[0]
man_codes = {int(c) for c in re.findall(r'^\.B (\d+)$', man, re.M)}

for name, got in (('README', readme_codes), ('man page', man_codes)):
    if got != code:
        print('%s exit codes %s, core.h %s' % (name, sorted(got), sorted(code)))

only = {1: 'diag', 2: 'diag', 9: 'export'}
for cmd in ('sizes', 'handshakes', 'accept', 'resets', 'diag', 'export'):
    text = open('%s/help.%s' % (tmp, cmd)).read()
    status = ' '.join(text.split('Exit status:', 1)[1].split())
    got = {int(c) for c in re.findall(r'(?:^|[,;] )(\d+) ', status)}
    want = {c for c in code if only.get(c, cmd) == cmd}
    if got != want:
        print('%s --help exit codes %s, expected %s' % (cmd, sorted(got), sorted(want)))
PY
)
	assert_eq "$out" "" "exit codes across README, man page, core.h, --help"
}
