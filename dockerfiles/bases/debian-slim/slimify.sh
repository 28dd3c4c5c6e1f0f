#!/bin/sh
# Make a Debian root filesystem "slim", the way the official -slim images are made: delete what
# containers do not read (documentation, man and info pages, translations, lintian overrides),
# keep the copyright files and the locale metadata, and tell dpkg to leave the same paths out of
# every package installed later.
set -eu
set -f  # the patterns below are for find and dpkg, never for the shell
excluded='/usr/share/doc/* /usr/share/groff/* /usr/share/info/* /usr/share/linda/*
/usr/share/lintian/overrides/* /usr/share/locale/* /usr/share/man/*'
kept='/usr/share/doc/*/copyright /usr/share/locale/all_languages /usr/share/locale/currency/*
/usr/share/locale/l10n/* /usr/share/locale/languages /usr/share/locale/locale.alias'

config=/etc/dpkg/dpkg.cfg.d/docker
mkdir -p "$(dirname "$config")"
{
	echo '# A "slim" Debian image: these paths were removed, and dpkg keeps them out.'
	for path in $excluded; do echo "path-exclude $path"; done
	for path in $kept; do echo "path-include $path"; done
} > "$config"
chmod 0644 "$config"

set --
for path in $kept; do
	[ $# -eq 0 ] || set -- "$@" -o
	set -- "$@" -path "$path"
done
for path in $excluded; do
	top=$(dirname "$path")
	[ -d "$top" ] || continue
	# files and links first (keeping what is kept), then empty folders and dangling links, until none
	find "$top" -depth -mindepth 1 -not \( "$@" \) -not -type d -not -type l -exec rm -f {} +
	while [ -n "$(find "$top" -depth -mindepth 1 \( -empty -o -xtype l \) -print -exec rm -rf {} +)" ]; do :; done
done
