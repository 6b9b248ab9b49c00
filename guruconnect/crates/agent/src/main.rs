//! `guruconnect-agent`: for now the troubleshooting entry `--test-capture out.png`; the relay
//! session modes (attended `--support-code`, unattended with a per-machine key) come next.

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, out] if flag == "--test-capture" => test_capture(out),
        [flag] if flag == "--machine-uid" => {
            println!("{}", guruconnect_agent::identity::machine_uid()?);
            Ok(())
        }
        _ => {
            eprintln!("usage: guruconnect-agent --test-capture OUT.png | --machine-uid");
            std::process::exit(2);
        }
    }
}

#[cfg(target_os = "linux")]
fn test_capture(out: &str) -> anyhow::Result<()> {
    let mut capturer = guruconnect_agent::capture::x11::X11Capturer::connect(None)
        .context("connecting to the X server ($DISPLAY)")?;
    for path in guruconnect_agent::snapshot::capture_all(&mut capturer, out.as_ref())? {
        println!("{}", path.display());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn test_capture(_out: &str) -> anyhow::Result<()> {
    anyhow::bail!("screen capture is not implemented on this platform yet")
}
