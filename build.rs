//! Builds `csrc/ldouble.c`: the few numeric routines whose exact output
//! depends on C's 80-bit `long double` and printf formatting, which Redis's
//! INCRBYFLOAT / HINCRBYFLOAT and its `%.17g` double replies rely on.
fn main() {
    println!("cargo:rerun-if-changed=csrc/ldouble.c");
    cc::Build::new()
        .file("csrc/ldouble.c")
        .opt_level(2)
        .compile("rrldouble");
}
