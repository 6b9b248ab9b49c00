//! Architecture invariant: no GuruRMM crate depends on a GuruConnect crate. The two products
//! meet only over GuruConnect's HTTP integration contract.

#[test]
fn no_gururmm_crate_depends_on_a_guruconnect_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let packages = metadata["packages"].as_array().expect("packages");
    let rmm: Vec<&serde_json::Value> = packages
        .iter()
        .filter(|p| p["name"].as_str().is_some_and(|n| n.starts_with("gururmm")))
        .collect();
    assert!(
        rmm.len() >= 3,
        "expected the protocol, server and agent crates"
    );
    for package in rmm {
        for dep in package["dependencies"].as_array().expect("dependencies") {
            let name = dep["name"].as_str().unwrap_or_default();
            assert!(
                !name.starts_with("guruconnect"),
                "{} depends on {name}",
                package["name"]
            );
        }
    }
}
