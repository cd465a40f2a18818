#!/usr/bin/env bash
# Builds every fuzz target (libFuzzer, through cargo fuzz, on the project's stable toolchain:
# no sanitizer, so no nightly flags) and runs each for SECONDS (default 20) starting from its
# corpus in fuzz/corpus/<target>. New inputs go to a scratch directory; a crash stops the run
# with libFuzzer's report and the input saved under fuzz/artifacts/<target>/.
#
#   fuzz/run.sh            # 20 s a target, as .ci/run does
#   fuzz/run.sh 600        # a longer run
set -euo pipefail
seconds=${1:-20}
cd "$(dirname "$0")"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz (crates.io)"
    cargo install cargo-fuzz --locked --version 0.13.2
fi
echo "==> building the fuzz targets"
cargo fuzz build -s none
for target in $(cargo fuzz list); do
    scratch=$(mktemp -d)
    echo "==> fuzzing $target for ${seconds}s"
    cargo fuzz run -s none "$target" "$scratch" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 |
        grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb|==|INFO: seed corpus)|panicked|ERROR|SUMMARY|Test unit written" || true
    status=${PIPESTATUS[0]}
    rm -rf "$scratch"
    if [ "$status" -ne 0 ]; then
        echo "fuzz target $target failed (exit $status); the input is in fuzz/artifacts/$target/" >&2
        exit "$status"
    fi
done
