# lib.sh — helpers shared by scripts/demo and scripts/test. Sourced, not run;
# the caller has already done `set -eu` and moved to the repository root.

# Parallel jobs for ninja and meson test. CI and the development machines
# have 2 cores; MLOG_JOBS overrides.
JOBS=${MLOG_JOBS:-$(nproc 2>/dev/null || echo 2)}

# setup_build DIR [MESON_OPTION...]
#
# Leaves DIR configured with exactly these options (and the current $CC):
# a directory last set up with the same options is reconfigured in place
# (cheap, keeps object files); one set up with other options, by another
# meson, or half-made by a failed run is wiped and set up afresh, so a
# build directory never carries options over from an earlier run. The
# options are recorded in DIR/mlog-setup-args. Meson's output goes to a
# temporary log that is shown only on failure. Returns non-zero on failure.
setup_build() {
	sb_dir=$1
	shift
	sb_want="CC=${CC:-} $*"
	sb_log=$(mktemp)
	if [ -f "$sb_dir/mlog-setup-args" ] &&
	    [ "$(cat "$sb_dir/mlog-setup-args")" = "$sb_want" ] &&
	    meson setup --reconfigure "$sb_dir" "$@" >"$sb_log" 2>&1; then
		:
	else
		rm -rf "$sb_dir"
		if ! meson setup "$sb_dir" "$@" >"$sb_log" 2>&1; then
			cat "$sb_log" >&2
			rm -f "$sb_log"
			return 1
		fi
	fi
	rm -f "$sb_log"
	printf '%s\n' "$sb_want" >"$sb_dir/mlog-setup-args"
}

# now: seconds since the epoch, for step timings.
now() {
	date +%s
}
