//! decode(encode(sequence)) reproduces every picture exactly, for random sequences of the
//! changes a desktop goes through: fills, noise, scrolls, resizes, idle frames, key requests,
//! with and without damage hints.

use guruconnect_codec::{Decoder, Encoder, EncoderConfig, Frame, Rect, RectPayload};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Change {
    Fill {
        area: (u32, u32, u32, u32),
        colour: [u8; 3],
    },
    Noise {
        area: (u32, u32, u32, u32),
        seed: u64,
    },
    Scroll {
        area: (u32, u32, u32, u32),
        dy: i32,
        seed: u64,
    },
    Resize {
        width: u32,
        height: u32,
        seed: u64,
    },
    Nothing,
    KeyRequest,
}

fn change() -> impl Strategy<Value = Change> {
    let area = (0u32..160, 0u32..160, 1u32..160, 1u32..160);
    prop_oneof![
        (area.clone(), any::<[u8; 3]>()).prop_map(|(area, colour)| Change::Fill { area, colour }),
        (area.clone(), any::<u64>()).prop_map(|(area, seed)| Change::Noise { area, seed }),
        (area, -60i32..60, any::<u64>()).prop_map(|(area, dy, seed)| Change::Scroll {
            area,
            dy,
            seed
        }),
        (1u32..160, 1u32..160, any::<u64>()).prop_map(|(width, height, seed)| Change::Resize {
            width,
            height,
            seed
        }),
        Just(Change::Nothing),
        Just(Change::KeyRequest),
    ]
}

/// A small deterministic generator, so failures reproduce from the proptest seed alone.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }
}

fn noisy(width: u32, height: u32, seed: u64) -> Frame {
    let mut frame = Frame::black(width, height).expect("size");
    fill_noise(&mut frame, Rect::new(0, 0, width, height), seed);
    frame
}

fn clip(frame: &Frame, (x, y, w, h): (u32, u32, u32, u32)) -> Option<Rect> {
    Rect::new(x, y, w, h).intersect(&Rect::new(0, 0, frame.width(), frame.height()))
}

fn set(frame: &mut Frame, x: u32, y: u32, bgr: [u8; 3]) {
    let stride = frame.stride();
    let i = y as usize * stride + x as usize * 4;
    frame.pixels_mut()[i..i + 4].copy_from_slice(&[bgr[0], bgr[1], bgr[2], 0xff]);
}

fn fill_noise(frame: &mut Frame, r: Rect, seed: u64) {
    let mut noise = Noise(seed | 1);
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            set(frame, x, y, [noise.next(), noise.next(), noise.next()]);
        }
    }
}

/// Applies a change to the desktop; returns the region it touched (the damage hint).
fn apply(frame: &mut Frame, change: &Change) -> Option<Rect> {
    match *change {
        Change::Fill { area, colour } => {
            let r = clip(frame, area)?;
            for y in r.y..r.y + r.height {
                for x in r.x..r.x + r.width {
                    set(frame, x, y, colour);
                }
            }
            Some(r)
        }
        Change::Noise { area, seed } => {
            let r = clip(frame, area)?;
            fill_noise(frame, r, seed);
            Some(r)
        }
        Change::Scroll { area, dy, seed } => {
            let r = clip(frame, area)?;
            let before = frame.clone();
            for y in r.y..r.y + r.height {
                let src = i64::from(y) + i64::from(dy);
                for x in r.x..r.x + r.width {
                    if src >= i64::from(r.y) && src < i64::from(r.y + r.height) {
                        let [b, g, red, _] = before.pixel(x, src as u32);
                        set(frame, x, y, [b, g, red]);
                    }
                }
            }
            // The rows scrolled into view are new content.
            let fresh = if dy > 0 {
                let n = (dy as u32).min(r.height);
                Rect::new(r.x, r.y + r.height - n, r.width, n)
            } else {
                Rect::new(r.x, r.y, r.width, (dy.unsigned_abs()).min(r.height))
            };
            if !fresh.is_empty() {
                fill_noise(frame, fresh, seed);
            }
            Some(r)
        }
        Change::Resize {
            width,
            height,
            seed,
        } => {
            *frame = noisy(width, height, seed);
            None
        }
        Change::Nothing | Change::KeyRequest => Some(Rect::new(0, 0, 0, 0)),
    }
}

fn run(first: (u32, u32, u64), changes: &[Change], hints: bool, scroll: bool) {
    let config = EncoderConfig {
        detect_scroll: scroll,
        tile: 16,
        ..EncoderConfig::default()
    };
    let mut encoder = Encoder::new(config).expect("encoder");
    let mut decoder = Decoder::new().expect("decoder");
    let mut desktop = noisy(first.0, first.1, first.2);
    let encoded = encoder
        .encode(desktop.clone(), None)
        .expect("encode")
        .expect("first frame is a key frame");
    assert!(encoded.key);
    decoder.apply(&encoded).expect("key frame decodes");
    for change in changes {
        if let Change::KeyRequest = change {
            encoder.request_key_frame();
        }
        let touched = apply(&mut desktop, change);
        let damage = touched.map(|r| vec![r]);
        let damage = if hints { damage.as_deref() } else { None };
        match encoder.encode(desktop.clone(), damage).expect("encode") {
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
}

#[test]
fn an_unchanged_screen_produces_nothing() {
    let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
    let desktop = noisy(300, 200, 7);
    assert!(encoder
        .encode(desktop.clone(), None)
        .expect("encode")
        .is_some());
    assert_eq!(encoder.encode(desktop.clone(), None).expect("encode"), None);
    assert_eq!(encoder.encode(desktop, Some(&[])).expect("encode"), None);
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
                .encode(desktop.clone(), None)
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
        .encode(desktop.clone(), None)
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
                .encode(desktop.clone(), None)
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
        .encode(desktop.clone(), None)
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
        .filter(|r| matches!(r.payload, RectPayload::Zstd(_)))
        .map(|r| r.rect.area())
        .sum();
    assert_eq!(copied, u64::from(width) * u64::from(height - 16));
    // Only the new lines travel as pixels, rounded to whole tiles (32 rows by default).
    assert!(painted >= u64::from(width) * 16);
    assert!(painted <= u64::from(width) * 32, "painted {painted} pixels");
    decoder.apply(&frame).expect("decodes");
    assert!(decoder.picture().expect("picture").same_colours(&desktop));
}
