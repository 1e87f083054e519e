#!/bin/sh
# The notebook image's entrypoint, started by tini (PID 1, which reaps the
# processes a stopped kernel leaves behind): puts the chapter's notebooks in
# the notebooks folder when it holds no notebook (a new bind mount; a new
# named volume already gets the image's copies), then runs the command.
set -e
dir=${FASTGO_NOTEBOOKS:-/home/fastgo/notebooks}
if [ -d "$dir" ] && ! ls "$dir"/*.ipynb >/dev/null 2>&1; then
	if [ -w "$dir" ]; then
		cp /home/fastgo/fastgo/notebooks/*.ipynb "$dir"/
		echo "fastgo: copied the chapter's notebooks into $dir" >&2
	else
		echo "fastgo: warning: $dir is not writable by uid $(id -u): notebooks cannot be saved there (on the host: chown $(id -u) on the mounted folder, or run with --user)" >&2
	fi
fi
exec "$@"
