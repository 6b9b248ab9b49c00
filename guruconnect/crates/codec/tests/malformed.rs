//! The decoder refuses malformed frames with an error — never a panic — and a refused frame
//! leaves its picture exactly as it was.

use guruconnect_codec::{
    DecodeError, Decoder, EncodedFrame, EncodedRect, Encoder, EncoderConfig, Frame, Rect,
    RectPayload,
};
use proptest::prelude::*;

fn key_frame(width: u32, height: u32) -> EncodedFrame {
    let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
    let mut frame = Frame::black(width, height).expect("frame");
    frame
        .pixels_mut()
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = i as u8);
    encoder
        .encode(frame, None, &[])
        .expect("encode")
        .expect("key")
}

fn zstd(rect: Rect, fill: u8) -> RectPayload {
    let raw = vec![fill; rect.area() as usize * 3];
    RectPayload::Zstd(zstd::bulk::compress(&raw, 1).expect("compress"))
}

fn delta(rects: Vec<EncodedRect>) -> EncodedFrame {
    EncodedFrame {
        width: 64,
        height: 48,
        key: false,
        rects,
        stream: Vec::new(),
    }
}

/// Applies `frame` to a decoder holding a valid picture; returns the error and checks the
/// picture did not change.
fn refused(frame: &EncodedFrame) -> DecodeError {
    let mut decoder = Decoder::new().expect("decoder");
    decoder.apply(&key_frame(64, 48)).expect("key frame");
    let before = decoder.picture().expect("picture").clone();
    let err = decoder.apply(frame).expect_err("refused");
    assert_eq!(
        decoder.picture(),
        Some(&before),
        "picture unchanged after {err}"
    );
    err
}

#[test]
fn each_kind_of_bad_rectangle_is_refused() {
    let r = Rect::new(0, 0, 8, 8);
    let ok = EncodedRect {
        rect: r,
        payload: zstd(r, 1),
    };
    let cases = [
        (Rect::new(60, 0, 8, 8), zstd(Rect::new(0, 0, 8, 8), 1)), // off the right edge
        (Rect::new(0, 0, 0, 8), RectPayload::Zstd(Vec::new())),   // empty
        (Rect::new(u32::MAX, 0, 2, 2), zstd(Rect::new(0, 0, 2, 2), 1)), // overflowing x
        (
            r,
            RectPayload::Copy {
                src_x: 60,
                src_y: 0,
            },
        ), // copy source off the edge
        (r, RectPayload::Zstd(vec![0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3])), // truncated zstd
        (r, zstd(Rect::new(0, 0, 9, 8), 1)),                      // decompresses to too many bytes
        (r, zstd(Rect::new(0, 0, 7, 8), 1)),                      // too few
        (r, RectPayload::Zstd(b"not zstd at all".to_vec())),
    ];
    for (rect, payload) in cases {
        // A good rectangle first: it must not be painted when a later one is refused.
        let frame = delta(vec![ok.clone(), EncodedRect { rect, payload }]);
        refused(&frame);
    }
}

#[test]
fn sizes_and_key_frames_are_checked() {
    let mut decoder = Decoder::new().expect("decoder");
    let r = Rect::new(0, 0, 4, 4);
    let no_key = EncodedFrame {
        width: 4,
        height: 4,
        key: false,
        rects: vec![EncodedRect {
            rect: r,
            payload: zstd(r, 0),
        }],
        stream: Vec::new(),
    };
    assert!(matches!(
        decoder.apply(&no_key),
        Err(DecodeError::NeedKeyFrame)
    ));
    let huge = EncodedFrame {
        width: 100_000,
        height: 100_000,
        key: true,
        rects: Vec::new(),
        stream: Vec::new(),
    };
    assert!(matches!(decoder.apply(&huge), Err(DecodeError::BadSize(_))));
    let zero = EncodedFrame {
        width: 0,
        height: 10,
        key: true,
        rects: Vec::new(),
        stream: Vec::new(),
    };
    assert!(matches!(decoder.apply(&zero), Err(DecodeError::BadSize(_))));
    // A delta of another size than the picture needs a key frame.
    decoder.apply(&key_frame(64, 48)).expect("key");
    let other = EncodedFrame {
        width: 32,
        ..delta(Vec::new())
    };
    assert!(matches!(
        decoder.apply(&other),
        Err(DecodeError::NeedKeyFrame)
    ));
}

fn any_rect() -> impl Strategy<Value = EncodedRect> {
    let rect =
        (0u32..80, 0u32..60, 0u32..80, 0u32..60).prop_map(|(x, y, w, h)| Rect::new(x, y, w, h));
    let payload = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64).prop_map(RectPayload::Zstd),
        (0u32..80, 0u32..60).prop_map(|(src_x, src_y)| RectPayload::Copy { src_x, src_y }),
        (0u32..20, 0u32..20, any::<u8>())
            .prop_map(|(w, h, fill)| zstd(Rect::new(0, 0, w, h), fill)),
        any::<[u8; 3]>().prop_map(RectPayload::Fill),
        Just(RectPayload::Stream),
    ];
    (rect, payload).prop_map(|(rect, payload)| EncodedRect { rect, payload })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary frames: applied or refused, never a panic; refused ones change nothing.
    #[test]
    fn arbitrary_frames_never_panic(
        rects in prop::collection::vec(any_rect(), 0..6),
        key: bool,
        width in 1u32..80,
        height in 1u32..60,
        stream in prop::collection::vec(any::<u8>(), 0..48),
    ) {
        let mut decoder = Decoder::new().expect("decoder");
        decoder.apply(&key_frame(64, 48)).expect("key frame");
        let before = decoder.picture().expect("picture").clone();
        let frame = EncodedFrame { width, height, key, rects, stream };
        if decoder.apply(&frame).is_err() {
            prop_assert_eq!(decoder.picture(), Some(&before));
        }
    }
}

#[test]
fn a_bad_pixel_stream_is_refused_and_needs_a_key_frame() {
    let r = Rect::new(0, 0, 8, 8);
    let streamed = |stream: Vec<u8>| EncodedFrame {
        stream,
        ..delta(vec![EncodedRect {
            rect: r,
            payload: RectPayload::Stream,
        }])
    };
    for bad in [
        streamed(Vec::new()),
        streamed(vec![0xff, 0x00, 0x13]),
        // A stream part with no stream rectangle to take it.
        EncodedFrame {
            stream: vec![0x03, 0x00],
            ..delta(Vec::new())
        },
        // More streamed pixels than the picture holds (64×48): 49 rectangles of 8×8 overlap.
        EncodedFrame {
            stream: vec![0x03, 0x00],
            ..delta(
                (0..49)
                    .map(|_| EncodedRect {
                        rect: r,
                        payload: RectPayload::Stream,
                    })
                    .collect(),
            )
        },
    ] {
        refused(&bad);
    }

    // After a part that did not inflate, even a good one is refused until a key frame.
    let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
    let mut decoder = Decoder::new().expect("decoder");
    let base = Frame::black(64, 48).expect("frame");
    let key = encoder
        .encode(base.clone(), None, &[])
        .expect("encode")
        .expect("key");
    decoder.apply(&key).expect("key frame");
    let mut typed = base.clone();
    typed.pixels_mut()[(10 * 64 + 10) * 4] = 0x80;
    typed.pixels_mut()[(10 * 64 + 11) * 4] = 0x40; // two colours: not a fill
    let good = encoder
        .encode(typed, None, &[])
        .expect("encode")
        .expect("delta");
    assert!(
        good.rects.iter().any(|r| r.payload == RectPayload::Stream),
        "{good:?}"
    );
    let _ = decoder.apply(&streamed(vec![0xff, 0x00, 0x13]));
    assert!(matches!(
        decoder.apply(&good),
        Err(DecodeError::NeedKeyFrame)
    ));
    decoder
        .apply(&key)
        .expect("a key frame starts the stream again");
}
