//! Fuzzes the frame decoder: arbitrary bytes are read as a sequence of frames (sizes, key
//! flags, rectangles, copy sources, fills, zstd payloads and pixel-stream parts, all
//! attacker-chosen) and applied in turn.
//! Each frame must be applied or refused, never panic, and a refused frame changes nothing.
#![no_main]

use guruconnect_codec::{Decoder, EncodedFrame, EncodedRect, Rect, RectPayload};
use libfuzzer_sys::fuzz_target;

/// Reads bytes off the front of the input; zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head.to_vec()
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

fn frame(input: &mut Input) -> EncodedFrame {
    let width = u32::from(input.byte() % 96);
    let height = u32::from(input.byte() % 96);
    let key = input.byte() & 1 == 1;
    let count = input.byte() % 8;
    let rects = (0..count)
        .map(|_| {
            let rect = Rect::new(
                u32::from(input.byte()),
                u32::from(input.byte()),
                u32::from(input.byte()),
                u32::from(input.byte()),
            );
            let payload = match input.byte() % 4 {
                0 => {
                    let len = usize::from(input.byte());
                    RectPayload::Zstd(input.bytes(len))
                }
                1 => RectPayload::Copy {
                    src_x: u32::from(input.byte()),
                    src_y: u32::from(input.byte()),
                },
                2 => RectPayload::Fill([input.byte(), input.byte(), input.byte()]),
                _ => RectPayload::Stream,
            };
            EncodedRect { rect, payload }
        })
        .collect();
    let stream_len = usize::from(input.byte());
    EncodedFrame {
        width,
        height,
        key,
        rects,
        stream: input.bytes(stream_len),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Ok(mut decoder) = Decoder::new() else {
        return;
    };
    for _ in 0..8 {
        if input.done() {
            break;
        }
        let next = frame(&mut input);
        let before = decoder.picture().cloned();
        if decoder.apply(&next).is_err() {
            assert_eq!(decoder.picture().cloned(), before, "a refused frame changed the picture");
        }
    }
});
