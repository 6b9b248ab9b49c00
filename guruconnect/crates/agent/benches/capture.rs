//! Capture benchmark under Xvfb at 1920×1080: an idle damage poll, a full-screen capture through
//! the socket and through MIT-SHM, and
//! capture + encode of a screen where a window changes every frame. Prints a Markdown table.
//! `cargo bench -p guruconnect-agent --bench capture`; `cargo test` runs a short smoke pass.

#[path = "../tests/x11/xvfb.rs"]
#[allow(dead_code)]
mod xvfb;

use guruconnect_agent::capture::x11::X11Capturer;
use guruconnect_agent::capture::Capturer;
use guruconnect_codec::{Encoder, EncoderConfig};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ChangeWindowAttributesAux, ConnectionExt as _, EventMask};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let reps = if full { 60 } else { 3 };
    let x = xvfb::Xvfb::start(1920, 1080);
    let (conn, root) = x.connect();
    xvfb::solid_window(
        &conn,
        root,
        (100, 100, 800, 600),
        0x336699,
        EventMask::NO_EVENT,
    );
    let moving = xvfb::solid_window(
        &conn,
        root,
        (1000, 200, 640, 480),
        0x000000,
        EventMask::NO_EVENT,
    );
    let mut capturer = X11Capturer::connect(Some(&x.display)).expect("capturer");
    let display = capturer.displays().expect("displays").remove(0);
    capturer.damage(&display).expect("drain");

    let idle: Vec<Duration> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(
                capturer
                    .capture_changes(&display)
                    .expect("poll")
                    .map(|_| ()),
                None
            );
            t.elapsed()
        })
        .collect();
    let mut socket = X11Capturer::connect_with(Some(&x.display), false).expect("socket capturer");
    let full = |c: &mut X11Capturer| -> Vec<Duration> {
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                c.capture(&display).expect("capture");
                t.elapsed()
            })
            .collect()
    };
    let socket_grabs = full(&mut socket);
    assert!(capturer.uses_shm(), "Xvfb offers MIT-SHM");
    let shm_grabs = full(&mut capturer);

    // A window whose colour changes every frame: damage → capture → encode.
    let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
    encoder
        .encode(capturer.capture(&display).expect("key"), None, &[])
        .expect("key");
    let mut pipeline = Vec::new();
    let mut bytes = 0;
    for i in 0..reps {
        let colour = (i as u32 * 0x0a0b0c) & 0xffffff;
        conn.change_window_attributes(
            moving,
            &ChangeWindowAttributesAux::new().background_pixel(colour),
        )
        .expect("colour");
        conn.clear_area(false, moving, 0, 0, 0, 0).expect("repaint");
        conn.flush().expect("flush");
        conn.get_input_focus().expect("sync").reply().expect("sync");
        let t = Instant::now();
        let captured = capturer
            .capture_changes(&display)
            .expect("capture")
            .expect("a change");
        let frame = encoder
            .encode(captured.frame, captured.damage.as_deref(), &captured.moves)
            .expect("encode");
        pipeline.push(t.elapsed());
        bytes += frame.map_or(0, |f| f.payload_bytes());
    }
    let row = |name: &str, d: Duration| {
        let fps = if d.is_zero() {
            f64::INFINITY
        } else {
            1.0 / d.as_secs_f64()
        };
        println!("| {name} | {:.2} ms | {fps:.0} |", d.as_secs_f64() * 1e3);
    };
    println!("\nX11 capture under Xvfb at 1920×1080, medians of {reps}\n");
    println!("| step | time | per second |");
    println!("|---|---:|---:|");
    row("idle poll (XDamage says nothing changed)", median(idle));
    row(
        "full-screen GetImage through the socket",
        median(socket_grabs),
    );
    row("full-screen ShmGetImage (MIT-SHM)", median(shm_grabs));
    row(
        "a 640×480 window changes: damage + GetImage + encode",
        median(pipeline),
    );
    println!(
        "\nbytes per changed frame (median frame of that case): {}",
        bytes / reps.max(1)
    );
}
