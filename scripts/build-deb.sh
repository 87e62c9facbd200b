#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds x25lo's Debian packages (debian/) from a copy of this tree, then checks them
# with lintian (make deb):
#
#   scripts/build-deb.sh [--no-lintian] [--nocheck] OUTDIR
#
# The copy (OUTDIR/x25lo-VERSION) holds what git tracks or would track (untracked files
# not ignored included), so the build sees the working tree as a clean clone would, without
# build directories. `dpkg-buildpackage -us -uc -b` runs there and leaves in OUTDIR
# x25lo_VERSION_amd64.deb, x25lo-vm_VERSION_all.deb, the .changes and .buildinfo and
# build.log. lintian (on the .changes: both packages) must find no error or warning;
# informational tags are shown. --nocheck: DEB_BUILD_OPTIONS=nocheck (no unit tests).
# The last line of output is the path of x25lo's .deb.
set -euo pipefail

REPO_DIR=$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")
lintian=1
nocheck=0
while (($#)); do
	case $1 in
	--no-lintian) lintian=0; shift ;;
	--nocheck) nocheck=1; shift ;;
	-h | --help) sed -n '3,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "build-deb: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if (($# != 1)); then
	echo "usage: $0 [--no-lintian] [--nocheck] OUTDIR" >&2
	exit 2
fi
out=$1

missing=()
for cmd in dpkg-buildpackage:dpkg-dev dh:debhelper fakeroot:fakeroot; do
	command -v "${cmd%%:*}" >/dev/null 2>&1 || missing+=("${cmd#*:}")
done
((lintian == 0)) || command -v lintian >/dev/null 2>&1 || missing+=(lintian)
if ((${#missing[@]})); then
	echo "build-deb: missing ${missing[*]}; install them with scripts/install-deps.sh (as root)" >&2
	exit 1
fi

version=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$REPO_DIR/meson.build")
[[ -n $version ]] || { echo "build-deb: no project version in $REPO_DIR/meson.build" >&2; exit 1; }
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
mkdir -p "$out"
out=$(readlink -f "$out")
src=$out/x25lo-$version
rm -rf "$src"
rm -f "$out"/x25lo_"$version"_* "$out"/x25lo-vm_"$version"_*

# The tree as a clean clone has it (git's view, working-tree contents).
mkdir -p "$src"
if [[ -e $REPO_DIR/.git ]] && command -v git >/dev/null 2>&1; then
	git -C "$REPO_DIR" ls-files -z --cached --others --exclude-standard |
		(cd "$REPO_DIR" && while IFS= read -r -d '' file; do
			[[ -e $file || -L $file ]] && printf '%s\0' "$file"
		done) |
		(cd "$REPO_DIR" && cpio -0 -pdm --quiet "$src")
else
	(cd "$REPO_DIR" && find . \( -name .git -o -name .cache -o -path './build' -o -path './build-*' \) -prune \
		-o \( -type f -o -type l \) -print0 | cpio -0 -pdm --quiet "$src")
fi
[[ -f $src/debian/control ]] || { echo "build-deb: $src/debian/control is missing" >&2; exit 1; }

echo "build-deb: dpkg-buildpackage -us -uc -b in $src (log: $out/build.log)"
start=$SECONDS
options=${DEB_BUILD_OPTIONS:-}
((nocheck == 0)) || options="$options nocheck"
if ! (cd "$src" && DEB_BUILD_OPTIONS="${options# }" dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (full log: $out/build.log)" >&2
	exit 1
fi
echo "build-deb: built in $((SECONDS - start)) s"
rm -rf "$src"
deb=$out/x25lo_${version}_$arch.deb
changes=$out/x25lo_${version}_$arch.changes
[[ -f $deb && -f $changes ]] || { echo "build-deb: dpkg-buildpackage left no $deb or $changes" >&2; exit 1; }
for file in "$deb" "$out/x25lo-vm_${version}_all.deb"; do
	echo "build-deb: $file"
	dpkg-deb -I "$file" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\|Recommends\|Suggests\|Installed-Size\): /  \1: /p'
done

if ((lintian)); then
	echo "build-deb: lintian $changes"
	start=$SECONDS
	if ! lintian --fail-on error,warning --display-info --info "$changes"; then
		echo "build-deb: lintian found errors or warnings (above)" >&2
		exit 1
	fi
	echo "build-deb: lintian clean (no error or warning) in $((SECONDS - start)) s"
fi
echo "$deb"
