//! The encoder's own tests: packing, the zstd level of large rectangles under full motion,
//! the picture handed back for reuse. Round trips through the decoder are in tests/roundtrip.rs.

use super::*;

#[test]
fn packing_keeps_blue_green_red_of_every_pixel() {
    // Row lengths around the four-pixel step, so the tail is covered too.
    for pixels in 0..=13usize {
        let bgra: Vec<u8> = (0..pixels * BYTES_PER_PIXEL)
            .map(|i| (i * 29 + 7) as u8)
            .collect();
        let want: Vec<u8> = bgra
            .chunks_exact(BYTES_PER_PIXEL)
            .flat_map(|p| p[..WIRE_BYTES_PER_PIXEL].to_vec())
            .collect();
        let mut out = vec![0u8; pixels * WIRE_BYTES_PER_PIXEL];
        pack_bgr(&mut out, &bgra);
        assert_eq!(out, want, "{pixels} pixels");
    }
}

use crate::Decoder;

/// A `width` × 256 picture: a gradient, with one bit of noise in every channel when `seed`
/// is odd (like video: zstd keeps well over half of it) and clean otherwise (it shrinks to a
/// small fraction). Every seed moves the gradient, so every tile changes from one to another.
fn picture(width: u32, seed: u64) -> Frame {
    let mut frame = Frame::black(width, 256).expect("frame");
    let mut noise = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for (i, px) in frame
        .pixels_mut()
        .chunks_exact_mut(BYTES_PER_PIXEL)
        .enumerate()
    {
        let (x, y) = (i as u64 % u64::from(width), i as u64 / u64::from(width));
        let v = (x + 2 * y + 5 * seed) / 3;
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        let grain = if seed % 2 == 1 { noise } else { 0 };
        for (c, out) in px[..3].iter_mut().enumerate() {
            let smooth = [v, v / 2 + seed, !v][c];
            *out = (smooth ^ (grain >> (c * 8) & 1)) as u8;
        }
    }
    frame
}

/// `base` with `area` (at most 256 rows) repainted from `picture(area.width, seed)`.
fn pasted(base: &Frame, area: Rect, seed: u64) -> Frame {
    let (mut out, patch) = (base.clone(), picture(area.width, seed));
    for y in 0..area.height {
        out.row_span_mut(area.x, area.y + y, area.width)
            .copy_from_slice(patch.row_span(0, y, area.width));
    }
    out
}

/// `rect` of `frame` as the encoder must send it when it compresses at `level`.
fn zstd_at(level: i32, frame: &Frame, rect: Rect) -> Vec<u8> {
    let bgr: Vec<u8> = (rect.y..rect.y + rect.height)
        .flat_map(|y| frame.row_span(rect.x, y, rect.width).to_vec())
        .collect::<Vec<u8>>()
        .chunks_exact(BYTES_PER_PIXEL)
        .flat_map(|p| p[..WIRE_BYTES_PER_PIXEL].to_vec())
        .collect();
    zstd::bulk::compress(&bgr, level).expect("zstd")
}

/// Encodes each step's picture in turn with its damage (the first as the key frame) and
/// checks that every rectangle decodes exactly and was compressed at the step's level.
fn check_levels(config: EncoderConfig, steps: &[(Frame, Option<Rect>, i32)]) {
    let mut encoder = Encoder::new(config).expect("encoder");
    let mut decoder = Decoder::new().expect("decoder");
    for (i, (picture, damage, level)) in steps.iter().enumerate() {
        let damage = damage.map(|d| vec![d]);
        let frame = encoder
            .encode(picture.clone(), damage.as_deref(), &[])
            .expect("encode")
            .expect("a change");
        for r in &frame.rects {
            let RectPayload::Zstd(data) = &r.payload else {
                panic!("step {i}: a copy");
            };
            // Only content the two levels compress differently can tell them apart.
            let normal = zstd_at(config.zstd_level, picture, r.rect);
            let fast = zstd_at(FAST_ZSTD_LEVEL, picture, r.rect);
            assert!(normal != fast, "step {i}: the levels agree on this content");
            let want = if *level == FAST_ZSTD_LEVEL {
                fast
            } else {
                normal
            };
            assert!(*data == want, "step {i}: level");
        }
        decoder.apply(&frame).expect("decodes");
        let decoded = decoder.picture().expect("picture");
        assert!(decoded.same_colours(picture), "step {i}: lossless");
    }
}

#[test]
fn large_rects_take_the_fast_level_while_they_compress_poorly() {
    // 512 x 256: one rectangle, large, all of it changing every step.
    let config = EncoderConfig::default();
    let (normal, fast) = (config.zstd_level, FAST_ZSTD_LEVEL);
    check_levels(
        config,
        &[
            (picture(512, 1), None, normal), // a key frame: nothing known yet
            (picture(512, 3), None, fast),   // the key frame's noise compressed poorly
            (picture(512, 4), None, fast),   // still decided by that noise...
            (picture(512, 6), None, normal), // ...but the flat picture compressed well
            (picture(512, 7), None, normal),
            (picture(512, 9), None, fast),
        ],
    );
}

#[test]
fn small_rects_keep_the_normal_level_and_leave_the_choice_alone() {
    // Without the pixel stream, which would take the small rectangle.
    let config = EncoderConfig {
        stream: false,
        ..EncoderConfig::default()
    };
    let (normal, fast) = (config.zstd_level, FAST_ZSTD_LEVEL);
    // A 64 x 64 change (one small rectangle) during full motion.
    let corner = Rect::new(0, 0, 64, 64);
    let typed = pasted(&picture(512, 3), corner, 5);
    check_levels(
        config,
        &[
            (picture(512, 1), None, normal),
            (picture(512, 3), None, fast),
            (typed, Some(corner), normal),
            (picture(512, 7), None, fast), // the small frame changed nothing
        ],
    );
}

#[test]
fn motion_in_a_small_part_of_the_picture_keeps_the_normal_level() {
    // Noise over 320 x 224 of 2048 x 256: one large rectangle, but an eighth of the picture,
    // like a video in a window.
    let config = EncoderConfig::default();
    let (normal, fast) = (config.zstd_level, FAST_ZSTD_LEVEL);
    let window = Rect::new(0, 0, 320, 224);
    let first = pasted(&picture(2048, 3), window, 5);
    let second = pasted(&first, window, 7);
    check_levels(
        config,
        &[
            (picture(2048, 1), None, normal),
            (picture(2048, 3), None, fast),
            (first, Some(window), fast), // decided by the whole picture's noise
            (second, Some(window), normal),
        ],
    );
}

#[test]
fn the_fast_level_is_left_once_content_compresses_well_enough_at_it() {
    // One frame's large rectangles: the whole 100 x 100 picture, 30,000 bytes raw.
    let seen = |percent: u64, fast| LargeRects {
        pixels: 10_000,
        packed: 300 * percent,
        picture: 10_000,
        fast,
    };
    assert!(!seen(45, false).full_motion(), "45 % at the normal level");
    assert!(
        seen(55, false).full_motion(),
        "55 % at the normal level: go fast"
    );
    assert!(
        !seen(55, true).full_motion(),
        "55 % at the fast level: come back"
    );
    assert!(seen(65, true).full_motion(), "65 % at the fast level: stay");
    let corner = LargeRects {
        picture: 50_000,
        ..seen(90, false)
    };
    assert!(
        !corner.full_motion(),
        "a fifth of the picture is no full motion"
    );
}

#[test]
fn without_a_fast_level_every_rect_gets_the_normal_one() {
    let config = EncoderConfig {
        fast_zstd_level: None,
        ..EncoderConfig::default()
    };
    let normal = config.zstd_level;
    check_levels(
        config,
        &[
            (picture(512, 1), None, normal),
            (picture(512, 3), None, normal),
            (picture(512, 5), None, normal),
        ],
    );
}

#[test]
fn the_picture_a_frame_replaces_is_handed_back_once() {
    let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
    let first = picture(128, 2);
    encoder.encode(first.clone(), None, &[]).expect("key");
    assert!(encoder.take_spent().is_none(), "nothing replaced yet");
    let second = pasted(&first, Rect::new(8, 8, 40, 20), 4);
    let delta = encoder.encode(second.clone(), None, &[]).expect("delta");
    assert!(delta.is_some_and(|f| !f.key));
    assert_eq!(encoder.take_spent(), Some(first), "the key frame's picture");
    assert!(encoder.take_spent().is_none(), "handed back once");
    encoder.encode(second.clone(), None, &[]).expect("still");
    assert_eq!(
        encoder.take_spent(),
        Some(second),
        "a still frame replaces one too"
    );
}
