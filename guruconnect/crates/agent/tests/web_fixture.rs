//! Pins the frames the browser viewer's decoder is tested against
//! (`guruconnect/web/test/fixtures/frames.json`): real encoder output wrapped in real protocol
//! envelopes, with a digest of the picture the Rust decoder makes of each. When the encoder or
//! the wire changes this test fails until the fixture is regenerated with
//! `UPDATE_WEB_FIXTURES=1 cargo test -p guruconnect-agent --test web_fixture`, and the web
//! suite then proves the TypeScript decoder still agrees.

use guruconnect_codec::{Decoder, Encoder, EncoderConfig, Frame, MoveHint, Rect, RectPayload};
use guruconnect_proto::{self as proto, envelope::Payload};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/test/fixtures/frames.json")
}

/// A desktop-like picture: flat coloured blocks with one noisy window, deterministic per seed.
fn desktop(width: u32, height: u32, seed: u32) -> Frame {
    let mut pixels = Vec::with_capacity((width * height * 4) as usize);
    let mut noise = seed.wrapping_mul(2_654_435_761) | 1;
    for y in 0..height {
        for x in 0..width {
            let in_window = (width / 3..width / 3 + 48).contains(&x)
                && (height / 4..height / 4 + 64).contains(&y);
            let (b, g, r) = if in_window {
                noise ^= noise << 13;
                noise ^= noise >> 17;
                noise ^= noise << 5;
                (noise as u8, (noise >> 8) as u8, (noise >> 16) as u8)
            } else {
                ((x / 32 * 40) as u8, (y / 16 * 30) as u8, seed as u8)
            };
            pixels.extend_from_slice(&[b, g, r, 0xff]);
        }
    }
    Frame::from_bgra(width, height, pixels).expect("frame")
}

fn rgb_digest(frame: &Frame) -> String {
    let mut hasher = Sha256::new();
    for px in frame.pixels().chunks_exact(4) {
        hasher.update([px[2], px[1], px[0]]);
    }
    hex::encode(hasher.finalize())
}

/// Scrolls the whole picture up by `dy` rows and paints the new bottom rows.
fn scrolled(frame: &Frame, dy: u32, seed: u32) -> Frame {
    let (w, h) = (frame.width(), frame.height());
    let fresh = desktop(w, h, seed);
    let row = (w * 4) as usize;
    let mut pixels = frame.pixels()[dy as usize * row..].to_vec();
    pixels.extend_from_slice(&fresh.pixels()[(h - dy) as usize * row..]);
    Frame::from_bgra(w, h, pixels).expect("frame")
}

/// Moves the block `dest` of `frame` came from `dx` pixels to its left: a window dragged right.
fn dragged_right(frame: &Frame, dest: Rect, dx: u32) -> Frame {
    let mut moved = frame.clone();
    for y in dest.y..dest.y + dest.height {
        for x in dest.x..dest.x + dest.width {
            let px = frame.pixel(x - dx, y);
            let at = y as usize * moved.stride() + x as usize * 4;
            moved.pixels_mut()[at..at + 4].copy_from_slice(&px);
        }
    }
    moved
}

fn generate() -> String {
    let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
    let mut decoder = Decoder::new().expect("decoder");
    let first = desktop(320, 192, 1);
    let mut filled = first.clone();
    let stride = filled.stride();
    for y in 40..72 {
        let start = y * stride + 8 * 4;
        for px in filled.pixels_mut()[start..start + 48 * 4].chunks_exact_mut(4) {
            px.copy_from_slice(&[0x20, 0x80, 0xe0, 0xff]);
        }
    }
    let scroll = scrolled(&filled, 32, 7);
    // A sideways move, as DXGI reports one: the viewer must copy right-to-left overlapping rows.
    let drag = Rect::new(100, 40, 100, 80);
    let drag_hint = [MoveHint {
        src_x: 60,
        src_y: 40,
        dest: drag,
    }];
    let dragged = dragged_right(&scroll, drag, 40);
    let pictures = [
        (first, &[][..]),
        (filled, &[]),
        (scroll, &[]),
        (dragged, &drag_hint[..]),
        (desktop(96, 64, 3), &[]),
    ];

    let mut steps = Vec::new();
    for (sequence, (picture, hints)) in pictures.into_iter().enumerate() {
        let encoded = encoder
            .encode(picture.clone(), None, hints)
            .expect("encode")
            .expect("a change");
        let copies = encoded
            .rects
            .iter()
            .filter(|r| matches!(r.payload, RectPayload::Copy { .. }))
            .count();
        decoder.apply(&encoded).expect("rust decodes");
        let decoded = decoder.picture().expect("picture");
        assert!(decoded.same_colours(&picture), "step {sequence} lossless");
        let frame = guruconnect_agent::wire::video_frame(encoded, "display-0", sequence as u64, 0);
        let envelope = proto::encode_payload(Payload::VideoFrame(frame));
        steps.push(serde_json::json!({
            "envelope_hex": hex::encode(&envelope),
            "width": picture.width(),
            "height": picture.height(),
            "copies": copies,
            "rgb_sha256": rgb_digest(decoded),
        }));
    }
    assert!(
        steps[2]["copies"].as_u64() > Some(0),
        "the scroll must travel as a copy"
    );
    assert!(
        steps[3]["copies"].as_u64() > Some(0),
        "the sideways drag must travel as a copy"
    );
    serde_json::to_string_pretty(&serde_json::json!({ "steps": steps })).expect("json") + "\n"
}

#[test]
fn the_web_decoder_fixture_matches_the_encoder() {
    let generated = generate();
    let path = fixture_path();
    if std::env::var_os("UPDATE_WEB_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &generated).expect("write fixture");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: regenerate it with UPDATE_WEB_FIXTURES=1 cargo test -p guruconnect-agent \
         --test web_fixture, then run the web unit tests",
        path.display()
    );
}
