#!/bin/sh
# make install and make uninstall, so that the one undoes the other exactly.
#   tools/install.sh install DESTDIR SHAREDIR MODE DIR FILE... [-- MODE DIR FILE...]...
#   tools/install.sh uninstall DESTDIR SHAREDIR
# install writes SHAREDIR/installed-files: every file it put in place and
# every folder it had to create (a folder ends in "/"), without DESTDIR.
# uninstall removes those files, then those folders and SHAREDIR's own where
# they are empty: a folder that was there before the install (/usr/local/bin,
# a man1 of its own) stays, and so does anything someone else put in one.
set -eu

usage() {
	echo "usage: tools/install.sh install DESTDIR SHAREDIR MODE DIR FILE... [-- ...]" >&2
	echo "       tools/install.sh uninstall DESTDIR SHAREDIR" >&2
	exit 2
}
[ $# -ge 3 ] || usage
cmd=$1 destdir=$2 sharedir=$3
shift 3
manifest=$sharedir/installed-files
list=$(mktemp)
trap 'rm -f "$list"' EXIT

# DIR (without DESTDIR) and its missing parents, each created one is recorded.
mkdirs() {
	want="" d=$1
	while [ "$d" != / ] && [ ! -d "$destdir$d" ]; do
		want="$d
$want"
		d=$(dirname "$d")
	done
	if [ -n "$destdir" ] && [ ! -d "$destdir" ]; then
		mkdir -p "$destdir"
		echo / >>"$list"
	fi
	printf '%s' "$want" | while IFS= read -r d; do
		install -d -m 755 "$destdir$d"
		echo "$d/" >>"$list"
	done
}

install_all() {
	[ -f "$destdir$manifest" ] && cat "$destdir$manifest" >"$list"
	n=0
	while [ $# -gt 0 ]; do
		[ $# -ge 3 ] || usage
		mode=$1 dir=$2
		shift 2
		mkdirs "$dir"
		files=""
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			install -m "$mode" "$1" "$destdir$dir"
			echo "$dir/$(basename "$1")" >>"$list"
			files="$files $1"
			n=$((n + 1))
			shift
		done
		[ $# -gt 0 ] && shift
		echo "install -m $mode$files $destdir$dir"
	done
	mkdirs "$sharedir"
	sort -u "$list" >"$destdir$manifest"
	chmod 644 "$destdir$manifest"
	echo "install: $n files; \`make uninstall\` removes what $destdir$manifest lists"
}

uninstall_all() {
	if [ ! -f "$destdir$manifest" ]; then
		echo "uninstall: nothing to remove: no $destdir$manifest"
		return 0
	fi
	files=0 dirs=0
	while IFS= read -r p; do
		case $p in
		*/) ;;
		*) if [ -e "$destdir$p" ] || [ -L "$destdir$p" ]; then
			rm -f "$destdir$p"
			files=$((files + 1))
		   fi ;;
		esac
		# Python compiles an imported module beside it; that goes too.
		case $p in
		*.py) rm -f "$destdir$(dirname "$p")/__pycache__/$(basename "$p" .py)".*.pyc ;;
		esac
	done <"$destdir$manifest"
	# Folders deepest first (a parent sorts before its children): the
	# recorded ones, and those of SHAREDIR, which belongs to apimon alone.
	{
		grep '/$' "$destdir$manifest" || true
		grep -v '/$' "$destdir$manifest" | while IFS= read -r p; do
			case $p in
			"$sharedir"/*.py) echo "$(dirname "$p")/__pycache__/"
				echo "$(dirname "$p")/" ;;
			"$sharedir"/*) echo "$(dirname "$p")/" ;;
			esac
		done
		echo "$sharedir/"
	} | sort -ru >"$list"
	rm -f "$destdir$manifest"
	while IFS= read -r d; do
		[ -d "$destdir$d" ] || continue
		if rmdir "$destdir$d" 2>/dev/null; then
			dirs=$((dirs + 1))
		else
			echo "uninstall: left $destdir$d: not empty"
		fi
	done <"$list"
	echo "uninstall: removed $files files and $dirs folders"
}

case $cmd in
install) install_all "$@" ;;
uninstall) [ $# -eq 0 ] || usage; uninstall_all ;;
*) usage ;;
esac
