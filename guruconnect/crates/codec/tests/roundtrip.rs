//! decode(encode(sequence)) reproduces every picture exactly, for random sequences of the
//! changes a desktop goes through: fills, noise, scrolls, window drags, resizes, idle frames,
//! key requests, with and without damage hints, and with move hints that are right, slightly
//! wrong or junk. A right move hint travels as a copy and saves bytes; a wrong one changes
//! nothing on the wire. Full motion on larger pictures switches the encoder between its zstd
//! levels, and every picture still decodes exactly.

use guruconnect_codec::{
    Decoder, EncodedFrame, Encoder, EncoderConfig, Frame, MoveHint, Rect, RectPayload,
};
use proptest::prelude::*;

mod desktop;
use desktop::*;

fn run(first: (u32, u32, u64), changes: &[Change], hints: bool, scroll: bool) {
    let steps: Vec<(Change, Vec<HintKind>)> =
        changes.iter().map(|c| (c.clone(), Vec::new())).collect();
    run_with_moves(first, &steps, hints, scroll);
}

fn run_with_moves(
    first: (u32, u32, u64),
    steps: &[(Change, Vec<HintKind>)],
    hints: bool,
    scroll: bool,
) {
    let config = EncoderConfig {
        detect_scroll: scroll,
        tile: 16,
        ..EncoderConfig::default()
    };
    let mut encoder = Encoder::new(config).expect("encoder");
    let mut decoder = Decoder::new().expect("decoder");
    let mut desktop = noisy(first.0, first.1, first.2);
    let encoded = encoder
        .encode(desktop.clone(), None, &[])
        .expect("encode")
        .expect("first frame is a key frame");
    assert!(encoded.key);
    decoder.apply(&encoded).expect("key frame decodes");
    for (change, kinds) in steps {
        if let Change::KeyRequest = change {
            encoder.request_key_frame();
        }
        let moves = hints_for(true_hint(&desktop, change), kinds);
        let touched = apply(&mut desktop, change);
        let damage = touched.map(|r| vec![r]);
        let damage = if hints { damage.as_deref() } else { None };
        match encoder
            .encode(desktop.clone(), damage, &moves)
            .expect("encode")
        {
            Some(frame) => {
                decoder.apply(&frame).expect("decodes");
            }
            None => assert!(!matches!(
                change,
                Change::KeyRequest | Change::Resize { .. }
            )),
        }
        let picture = decoder.picture().expect("picture");
        assert!(picture.same_colours(&desktop), "after {change:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_picture_decodes_exactly(
        first in (1u32..160, 1u32..160, any::<u64>()),
        changes in prop::collection::vec(change(), 1..10),
        hints: bool,
        scroll: bool,
    ) {
        run(first, &changes, hints, scroll);
    }

    #[test]
    fn move_hints_right_or_wrong_never_change_the_picture(
        first in (1u32..160, 1u32..160, any::<u64>()),
        steps in prop::collection::vec(
            (change(), prop::collection::vec(hint_kind(), 0..4)),
            1..10,
        ),
        hints: bool,
        scroll: bool,
    ) {
        run_with_moves(first, &steps, hints, scroll);
    }

    #[test]
    fn a_true_move_hint_is_a_copy_and_a_wrong_one_costs_no_bytes(
        size in (150u32..220, 150u32..220),
        position in (30u32..40, 30u32..40),
        window in (40u32..80, 40u32..80),
        moved in (-30i32..30, -30i32..30).prop_filter("a move", |m| *m != (0, 0)),
        error in (-2i32..3, -2i32..3).prop_filter("an error", |e| *e != (0, 0)),
        seed: u64,
    ) {
        let before = noisy(size.0, size.1, seed);
        let drag = Change::Drag {
            area: (position.0, position.1, window.0, window.1),
            dx: moved.0,
            dy: moved.1,
            seed: !seed,
        };
        let truth = true_hint(&before, &drag).expect("the window moves inside the picture");
        let mut after = before.clone();
        apply(&mut after, &drag);
        let wrong = MoveHint {
            src_x: offset(truth.src_x, error.0),
            src_y: offset(truth.src_y, error.1),
            ..truth
        };

        let hinted = encode_pair(&before, &after, &[truth]);
        let plain = encode_pair(&before, &after, &[]);
        let copies: Vec<_> = hinted
            .rects
            .iter()
            .filter_map(|r| match r.payload {
                RectPayload::Copy { src_x, src_y } => Some((r.rect, src_x, src_y)),
                _ => None,
            })
            .collect();
        prop_assert_eq!(copies, vec![(truth.dest, position.0, position.1)]);
        prop_assert!(
            hinted.payload_bytes() < plain.payload_bytes(),
            "{} bytes with the hint, {} without",
            hinted.payload_bytes(),
            plain.payload_bytes()
        );
        prop_assert_eq!(encode_pair(&before, &after, &[wrong]), plain);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn full_motion_and_back_decodes_exactly(
        first in (256u32..640, 256u32..400, any::<u64>()),
        changes in prop::collection::vec(motion_change(), 2..8),
        hints: bool,
    ) {
        run(first, &changes, hints, true);
    }
}

/// `after` encoded after a key frame of `before`, with scroll detection off so only the hints
/// can make copies; checked to decode exactly.
fn encode_pair(before: &Frame, after: &Frame, moves: &[MoveHint]) -> EncodedFrame {
    let config = EncoderConfig {
        detect_scroll: false,
        tile: 16,
        ..EncoderConfig::default()
    };
    let mut encoder = Encoder::new(config).expect("encoder");
    let mut decoder = Decoder::new().expect("decoder");
    let key = encoder.encode(before.clone(), None, &[]).expect("encode");
    decoder.apply(&key.expect("key")).expect("key decodes");
    let frame = encoder
        .encode(after.clone(), None, moves)
        .expect("encode")
        .expect("the window moved");
    decoder.apply(&frame).expect("decodes");
    assert!(decoder.picture().expect("picture").same_colours(after));
    frame
}

#[test]
fn an_unchanged_screen_produces_nothing() {
    let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
    let desktop = noisy(300, 200, 7);
    assert!(encoder
        .encode(desktop.clone(), None, &[])
        .expect("encode")
        .is_some());
    assert_eq!(
        encoder.encode(desktop.clone(), None, &[]).expect("encode"),
        None
    );
    assert_eq!(
        encoder.encode(desktop, Some(&[]), &[]).expect("encode"),
        None
    );
}

/// Copied and painted pixel counts of a frame.
fn areas(frame: &guruconnect_codec::EncodedFrame) -> (u64, u64) {
    let sum = |copy: bool| {
        frame
            .rects
            .iter()
            .filter(|r| matches!(r.payload, RectPayload::Copy { .. }) == copy)
            .map(|r| r.rect.area())
            .sum()
    };
    (sum(true), sum(false))
}

#[test]
fn a_window_scrolling_off_the_tile_grid_is_still_a_copy() {
    let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
    let mut decoder = Decoder::new().expect("decoder");
    let mut desktop = noisy(500, 400, 5);
    decoder
        .apply(
            &encoder
                .encode(desktop.clone(), None, &[])
                .expect("e")
                .expect("key"),
        )
        .expect("key");
    let window = (37, 23, 301, 211);
    apply(
        &mut desktop,
        &Change::Scroll {
            area: window,
            dy: -7,
            seed: 2,
        },
    );
    let frame = encoder
        .encode(desktop.clone(), None, &[])
        .expect("e")
        .expect("delta");
    let (copied, painted) = areas(&frame);
    assert_eq!(
        copied,
        301 * (211 - 7),
        "the window's moved lines are one copy"
    );
    assert!(painted < 301 * 64, "painted {painted} pixels");
    decoder.apply(&frame).expect("decodes");
    assert!(decoder.picture().expect("picture").same_colours(&desktop));
}

#[test]
fn a_scroll_travels_as_a_copy_and_one_band_of_pixels() {
    let (width, height) = (640, 480);
    let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
    let mut decoder = Decoder::new().expect("decoder");
    let mut desktop = noisy(width, height, 3);
    decoder
        .apply(
            &encoder
                .encode(desktop.clone(), None, &[])
                .expect("e")
                .expect("key"),
        )
        .expect("key");
    let scroll = Change::Scroll {
        area: (0, 0, width, height),
        dy: 16,
        seed: 9,
    };
    apply(&mut desktop, &scroll);
    let frame = encoder
        .encode(desktop.clone(), None, &[])
        .expect("e")
        .expect("delta");
    let copied: u64 = frame
        .rects
        .iter()
        .filter(|r| matches!(r.payload, RectPayload::Copy { .. }))
        .map(|r| r.rect.area())
        .sum();
    let painted: u64 = frame
        .rects
        .iter()
        .filter(|r| !matches!(r.payload, RectPayload::Copy { .. }))
        .map(|r| r.rect.area())
        .sum();
    assert_eq!(copied, u64::from(width) * u64::from(height - 16));
    // Only the new lines travel as pixels.
    assert!(painted >= u64::from(width) * 16);
    assert!(painted <= u64::from(width) * 32, "painted {painted} pixels");
    decoder.apply(&frame).expect("decodes");
    assert!(decoder.picture().expect("picture").same_colours(&desktop));
}

#[test]
fn a_move_hint_reports_its_destination_as_damage() {
    // A capturer may report a move without listing its destination as dirty (DXGI keeps the
    // two apart): the copy must still reach the viewer.
    let before = noisy(200, 150, 11);
    let hint = MoveHint {
        src_x: 100,
        src_y: 70,
        dest: Rect::new(10, 20, 60, 50),
    };
    let mut after = before.clone();
    for y in 0..hint.dest.height {
        for x in 0..hint.dest.width {
            let [b, g, r, _] = before.pixel(hint.src_x + x, hint.src_y + y);
            set(&mut after, hint.dest.x + x, hint.dest.y + y, [b, g, r]);
        }
    }
    let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
    let mut decoder = Decoder::new().expect("decoder");
    let key = encoder.encode(before, None, &[]).expect("encode");
    decoder.apply(&key.expect("key")).expect("key decodes");
    let frame = encoder
        .encode(after.clone(), Some(&[]), &[hint])
        .expect("encode")
        .expect("the hinted move is a change");
    assert_eq!(
        areas(&frame),
        (u64::from(hint.dest.width * hint.dest.height), 0)
    );
    decoder.apply(&frame).expect("decodes");
    assert!(decoder.picture().expect("picture").same_colours(&after));
}

#[test]
fn only_the_changed_pixels_travel_not_their_tiles() {
    let before = noisy(200, 120, 3);
    let mut after = before.clone();
    // A "glyph" straddling two 16-pixel tiles, and one pixel far away in another tile.
    for y in 20..34 {
        for x in 13..20 {
            set(&mut after, x, y, [0x10, 0x20, 0x30]);
        }
    }
    set(&mut after, 150, 100, [0xff, 0, 0]);
    let frame = encode_pair(&before, &after, &[]);
    let mut painted: Vec<Rect> = frame.rects.iter().map(|r| r.rect).collect();
    painted.sort_by_key(|r| (r.y, r.x));
    assert_eq!(
        painted,
        vec![Rect::new(13, 20, 7, 14), Rect::new(150, 100, 1, 1)],
        "the boxes of what changed, not the three tiles they touch"
    );
}
