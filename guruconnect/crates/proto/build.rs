//! Generates the Rust types for `guruconnect.proto` with protox, so no system `protoc` is needed.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read at run time, not baked in with env!: a cached build script must follow the tree when
    // it moves (the Windows build compiles a copy of the tree in a fresh directory each time).
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")?;
    let proto_dir = PathBuf::from(manifest_dir).join("../../proto");
    let proto_file = proto_dir.join("guruconnect.proto");
    println!("cargo:rerun-if-changed={}", proto_file.display());

    let descriptors = protox::compile([&proto_file], [&proto_dir])?;
    prost_build::Config::new()
        // Frame payloads are shared between viewers without copying.
        .bytes(["."])
        .compile_fds(descriptors)?;
    Ok(())
}
