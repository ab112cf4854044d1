#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build.sh [-o OUTDIR] [-b BINARY]: build wirescope_VERSION_ARCH.deb with
# dpkg-deb from a tree staged in a temporary directory (make deb runs it).
#   -o OUTDIR  where the .deb goes (default: the repository's top; an older
#              wirescope_*_ARCH.deb there is removed first)
#   -b BINARY  the static binary to package (default: ./wirescope)
# Prints the path of the package.  Needs only dpkg-deb, gzip and strip: no
# debhelper, no network; works from a fresh clone once ./wirescope is built.
#
# The package version comes from `git describe --tags --always --dirty` (the
# string `wirescope --version` prints), made a valid Debian version of a
# native package (no Debian revision):
#   v1.2.3 or 1.2.3           -> 1.2.3
#   1.2.3-rc1                 -> 1.2.3~rc1            (sorts before 1.2.3)
#   1.2.3-5-gabcdef0          -> 1.2.3+git5.abcdef0   (5 commits after 1.2.3)
#   abcdef0 (no tag at all)   -> 0.0~git20261126.abcdef0 (commit date, UTC)
#   any of these, -dirty      -> the same, then +dirty
# Outside a git checkout: $VERSION (make passes its own) if it is already a
# valid version, else an error.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
here=tools/deb

out=$top bin=$top/wirescope
while getopts o:b: opt; do
	case $opt in
	o) out=$OPTARG ;;
	b) bin=$OPTARG ;;
	*) echo "usage: $0 [-o OUTDIR] [-b BINARY]" >&2; exit 2 ;;
	esac
done
die() { echo "deb: $*" >&2; exit 1; }
[ -x "$bin" ] || die "no binary at $bin: run make first"
file -L "$bin" | grep -q 'statically linked' || die "$bin is not statically linked"

# The version, and the date and commit for the changelog.
if git rev-parse --git-dir >/dev/null 2>&1; then
	desc=$(git describe --tags --always --dirty)
	hash=$(git rev-parse HEAD)
	epoch=$(git log -1 --format=%ct)
	subject=$(git log -1 --format=%s)
	rest=$desc dirty=
	case $rest in *-dirty) rest=${rest%-dirty} dirty=+dirty ;; esac
	if ! git describe --tags >/dev/null 2>&1; then
		version="0.0~git$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d).$rest"
	elif [[ $rest =~ ^(.*)-([0-9]+)-g([0-9a-f]+)$ ]]; then
		tag=${BASH_REMATCH[1]}
		version="${tag#v}+git${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
	else
		version=${rest#v}
	fi
	version=${version//-/\~}
	version=${version//_/.}$dirty
else
	version=${VERSION:-} desc=${VERSION:-} hash=unknown subject=
	epoch=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$top/Makefile")}
fi
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "cannot make a Debian version of '$version'"
# A binary built before the last commit still reports the old describe.
binver=$("$bin" --version | sed -n 's/^wirescope //p')
[ "$binver" = "$desc" ] ||
	echo "deb: warning: $bin reports '$binver', the tree is '$desc' (make clean && make deb rebuilds it)" >&2
export SOURCE_DATE_EPOCH=$epoch

arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-"wirescope maintainers <maintainers@users.noreply.r-seed-0ab9ff06.example>"}
# The static binary carries code of these libraries: name their source
# packages (Debian Policy 7.8, Built-Using).
built_using=$(dpkg-query -W -f='${source:Package} (= ${source:Version})\n' \
	libbpf-dev libelf-dev zlib1g-dev libc6-dev | paste -sd, - | sed 's/,/, /g')

stage=$(mktemp -d /tmp/wirescope-deb.XXXXXX)
trap 'rm -rf "$stage"' EXIT
umask 022
r=$stage/root
install -d "$r/DEBIAN" "$r/usr/sbin" "$r/usr/share/man/man8" \
	"$r/lib/systemd/system" "$r/etc/default" "$r/usr/share/wirescope" \
	"$r/usr/share/doc/wirescope" "$r/usr/share/lintian/overrides"

strip --remove-section=.comment --remove-section=.note -o "$r/usr/sbin/wirescope" "$bin"
chmod 0755 "$r/usr/sbin/wirescope"
gzip -9n <docs/wirescope.8 >"$r/usr/share/man/man8/wirescope.8.gz"
install -m 0644 tools/deploy/wirescope-exporter.service "$r/lib/systemd/system/"
install -m 0644 tools/deploy/wirescope-exporter.default "$r/etc/default/wirescope-exporter"
install -m 0644 tools/deploy/wirescope-rules.yml tools/deploy/grafana-dashboard.json \
	tools/deploy/prometheus.yml "$r/usr/share/wirescope/"
install -m 0644 "$here/copyright" "$r/usr/share/doc/wirescope/copyright"
install -m 0644 "$here/lintian-overrides" "$r/usr/share/lintian/overrides/wirescope"
for f in README.md docs/*.md; do
	gzip -9n <"$f" >"$r/usr/share/doc/wirescope/$(basename "$f").gz"
done

# A changelog item, folded under 80 columns (lintian).
changelog_item() {
	fold -s -w 70 <<<"$1" | sed -e '1s/^/  * /' -e '2,$s/^/    /' -e 's/ *$//'
}

# A native package's changelog: one entry for the commit it was built from.
{
	echo "wirescope ($version) unstable; urgency=medium"
	echo
	changelog_item "Built from git commit $hash ($desc)."
	[ -z "$subject" ] || changelog_item "$subject"
	echo
	echo " -- $maintainer  $(LC_ALL=C date -u -R -d "@$epoch")"
} | gzip -9n >"$r/usr/share/doc/wirescope/changelog.gz"

install -m 0644 "$here/conffiles" "$r/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$r/DEBIAN/"
(cd "$r" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\n' |
	LC_ALL=C sort | xargs md5sum) >"$r/DEBIAN/md5sums"
chmod 0644 "$r/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$r" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
	-e "s|@SIZE@|$size|" -e "s|@BUILT_USING@|$built_using|" \
	"$here/control.in" >"$r/DEBIAN/control"
find "$r" -exec touch -h -d "@$epoch" {} +

mkdir -p "$out"
deb=$out/wirescope_${version}_${arch}.deb
[ "$out" = "$top" ] && rm -f "$top"/wirescope_*_"$arch".deb
dpkg-deb --root-owner-group -Zxz --build "$r" "$deb" >/dev/null
echo "$deb"
