#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs shellcheck over every shell script of the repository (the lint suite's test
# 'shellcheck'; also handy by hand):
#
#   scripts/shellcheck.sh [SOURCE_DIR]
#
# A shell script is a file named *.sh or one whose first line is a #!/bin/sh or
# bash shebang. Scripts with a bash shebang are checked as bash, all others as
# POSIX sh: the guest scripts (tests/vm, vm/guest-init.sh) run under busybox sh,
# and those without a shebang are sourced by or run with sh. Sourced files are
# followed (-x) where a "# shellcheck source=FILE" line names them relative to the
# script. Exit status: 0 clean, 1 findings, 77 (skipped) without shellcheck.
set -euo pipefail

root=$(readlink -f "${1:-$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/..}")
cd "$root"

if ! command -v shellcheck >/dev/null 2>&1; then
	echo "shellcheck: not installed (Debian package shellcheck; scripts/install-deps.sh installs it): skipped"
	exit 77
fi

# Candidate files: what git tracks or would track, else everything outside build
# directories.
candidates() {
	if [[ -e .git ]] && command -v git >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard
	else
		find . \( -name .git -o -name .cache -o -path './build*' \) -prune -o -type f -printf '%P\0'
	fi
}

bash_scripts=()
sh_scripts=()
while IFS= read -r -d '' file; do
	[[ -f $file ]] || continue # deleted but still in the index
	first=$(head -n 1 "$file" 2>/dev/null | tr -d '\0' || true)
	case $first in
	'#!/bin/bash'* | '#!/usr/bin/env bash'*) bash_scripts+=("$file") ;;
	'#!/bin/sh'* | '#!/usr/bin/env sh'*) sh_scripts+=("$file") ;;
	*) [[ $file == *.sh ]] && sh_scripts+=("$file") ;;
	esac
done < <(candidates | LC_ALL=C sort -z)

# SC2119 ("use f \"$@\" if f's $1 should mean the script's") is off: helpers such as
# expect_clean [TIMEOUT] have optional arguments and are called without them on purpose.
options=(-x -P SCRIPTDIR -e SC2119)
status=0
if ((${#bash_scripts[@]})); then
	shellcheck "${options[@]}" -s bash "${bash_scripts[@]}" || status=1
fi
if ((${#sh_scripts[@]})); then
	shellcheck "${options[@]}" -s sh "${sh_scripts[@]}" || status=1
fi
echo "shellcheck: ${#bash_scripts[@]} bash and ${#sh_scripts[@]} sh scripts, $( ((status == 0)) && echo clean || echo 'findings above')"
exit "$status"
