# Sourced by the scripts in benches/ and scripts/. `cargo_exe ARGS...` runs
# `cargo build ARGS...` and prints the executables it built, one path a line,
# as cargo reports them: right wherever CARGO_TARGET_DIR (or a cargo config)
# puts the build, unlike a hard-coded target/release.
#   bin=$(cargo_exe --release --bin labdeck)
cargo_exe() {
  cargo build --quiet --message-format=json "$@" |
    grep -o '"executable":"[^"]*"' | sed 's/^"executable":"//; s/"$//'
}
