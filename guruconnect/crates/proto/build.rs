//! Generates the Rust types for `guruconnect.proto` with protox, so no system `protoc` is needed.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let proto_file = proto_dir.join("guruconnect.proto");
    println!("cargo:rerun-if-changed={}", proto_file.display());

    let descriptors = protox::compile([&proto_file], [&proto_dir])?;
    prost_build::Config::new()
        // Frame payloads are shared between viewers without copying.
        .bytes(["."])
        .compile_fds(descriptors)?;
    Ok(())
}
