//! The pixel stream: small rectangles' BGR rows go through one raw deflate stream (RFC 1951)
//! that starts afresh at each key frame and is sync-flushed at the end of every frame. Each
//! frame's part therefore inflates on its own once the earlier parts have, and the inflater's
//! 32 KiB of history carries across rectangles and frames: a glyph typed again, a caret, a
//! repeated row cost back-references instead of being compressed from nothing each time (which
//! is what an independent zstd frame per rectangle does, headers included). Deflate because a
//! browser can keep such a stream going without WebAssembly; large rectangles stay on zstd.
//! Also here: the solid-colour check for fill rectangles.

use crate::frame::{Frame, BYTES_PER_PIXEL};
use crate::geometry::Rect;
use crate::WIRE_BYTES_PER_PIXEL;
use flate2::write::DeflateEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};
use std::io::Write;

/// Deflate level of the stream: its rectangles are small, so a thorough level costs little.
const LEVEL: u32 = 6;

/// The encoder's end of the stream.
#[derive(Debug)]
pub struct StreamWriter {
    /// Writes into the frame's part; `flush` is a complete sync flush.
    deflate: DeflateEncoder<Vec<u8>>,
    /// The rows of this frame's stream rectangles, in order.
    pending: Vec<u8>,
}

impl Default for StreamWriter {
    fn default() -> Self {
        Self {
            deflate: DeflateEncoder::new(Vec::new(), Compression::new(LEVEL)),
            pending: Vec::new(),
        }
    }
}

impl StreamWriter {
    /// A key frame: the stream starts again, with no history a late viewer would lack.
    pub fn reset(&mut self) {
        // Writing into a Vec cannot fail; what was in it is dropped with the old stream.
        let _ = self.deflate.reset(Vec::new());
        self.pending.clear();
    }

    /// Appends `rect`'s BGR rows to this frame's part.
    pub fn push(&mut self, frame: &Frame, rect: Rect, pack: impl Fn(&mut [u8], &[u8])) {
        let row = rect.width as usize * WIRE_BYTES_PER_PIXEL;
        let start = self.pending.len();
        self.pending
            .resize(start + rect.area() as usize * WIRE_BYTES_PER_PIXEL, 0);
        for (i, out) in self.pending[start..].chunks_exact_mut(row).enumerate() {
            pack(out, frame.row_span(rect.x, rect.y + i as u32, rect.width));
        }
    }

    /// This frame's part of the stream: everything pushed since the last call, sync-flushed.
    pub fn finish_frame(&mut self) -> std::io::Result<Vec<u8>> {
        if self.pending.is_empty() {
            return Ok(Vec::new());
        }
        self.deflate.write_all(&self.pending)?;
        self.deflate.flush()?;
        self.pending.clear();
        Ok(std::mem::take(self.deflate.get_mut()))
    }
}

/// The decoder's end of the stream.
#[derive(Debug)]
pub struct StreamReader {
    inflate: Decompress,
    /// False after a part that did not inflate cleanly: what follows cannot be trusted until
    /// the next key frame starts the stream again.
    intact: bool,
}

impl Default for StreamReader {
    fn default() -> Self {
        Self {
            inflate: Decompress::new(false),
            intact: true,
        }
    }
}

impl StreamReader {
    pub fn reset(&mut self) {
        self.inflate.reset(false);
        self.intact = true;
    }

    pub fn intact(&self) -> bool {
        self.intact
    }

    /// Marks the stream unusable until the next key frame (a frame refused after its part was
    /// inflated leaves the viewer's picture behind the stream).
    pub fn break_off(&mut self) {
        self.intact = false;
    }

    /// Inflates one frame's part, which must hold exactly `expected` bytes.
    pub fn next_part(&mut self, part: &[u8], expected: usize) -> Result<Vec<u8>, String> {
        let result = self.inflate_exactly(part, expected);
        if result.is_err() {
            self.intact = false;
        }
        result
    }

    fn inflate_exactly(&mut self, part: &[u8], expected: usize) -> Result<Vec<u8>, String> {
        if !self.intact {
            return Err("the stream broke earlier; it needs a key frame".into());
        }
        // One byte of room beyond what is expected shows a part that holds more.
        let mut out = Vec::with_capacity(expected + 1);
        let before = self.inflate.total_in();
        loop {
            let consumed = (self.inflate.total_in() - before) as usize;
            let produced = out.len();
            let status = self
                .inflate
                .decompress_vec(&part[consumed..], &mut out, FlushDecompress::Sync)
                .map_err(|e| e.to_string())?;
            let progress =
                self.inflate.total_in() - before != consumed as u64 || out.len() != produced;
            if out.len() > expected {
                return Err(format!("the part holds more than {expected} bytes"));
            }
            if status == Status::StreamEnd {
                return Err("the stream ended; it runs until the next key frame".into());
            }
            // The inflater may still hold output after taking the last input byte: ask until
            // a call neither takes input nor gives output.
            if !progress {
                break;
            }
        }
        if ((self.inflate.total_in() - before) as usize) < part.len() {
            return Err("the part does not inflate to the end".into());
        }
        if out.len() != expected {
            return Err(format!(
                "{} bytes in the part, expected {expected}",
                out.len()
            ));
        }
        Ok(out)
    }
}

/// The one colour of `rect`, when every pixel in it has it.
pub fn solid_colour(frame: &Frame, rect: Rect) -> Option<[u8; 3]> {
    let first = frame.row_span(rect.x, rect.y, 1);
    let colour = [first[0], first[1], first[2]];
    for y in rect.y..rect.y + rect.height {
        let row = frame.row_span(rect.x, y, rect.width);
        if !row
            .chunks_exact(BYTES_PER_PIXEL)
            .all(|p| p[..WIRE_BYTES_PER_PIXEL] == colour)
        {
            return None;
        }
    }
    Some(colour)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(width: u32, height: u32, seed: u8) -> Frame {
        let pixels = (0..width * height)
            .flat_map(|i| [(i as u8).wrapping_mul(seed), seed, (i / width) as u8, 0xff])
            .collect();
        Frame::from_bgra(width, height, pixels).expect("frame")
    }

    fn no_pack(out: &mut [u8], bgra: &[u8]) {
        for (d, s) in out.chunks_exact_mut(3).zip(bgra.chunks_exact(4)) {
            d.copy_from_slice(&s[..3]);
        }
    }

    #[test]
    fn each_part_inflates_alone_once_the_earlier_ones_have_and_repeats_get_cheaper() {
        let picture = frame(64, 32, 7);
        let glyph = Rect::new(8, 8, 8, 16);
        let (mut writer, mut reader) = (StreamWriter::default(), StreamReader::default());
        let mut sizes = Vec::new();
        for _ in 0..3 {
            writer.push(&picture, glyph, no_pack);
            let part = writer.finish_frame().expect("deflate");
            sizes.push(part.len());
            let rows = reader.next_part(&part, 8 * 16 * 3).expect("inflates");
            assert_eq!(&rows[..3], &picture.row_span(8, 8, 1)[..3]);
        }
        assert!(
            sizes[1] < sizes[0] / 2 && sizes[2] < sizes[0] / 2,
            "the same glyph again is a back-reference: {sizes:?}"
        );
    }

    #[test]
    fn incompressible_parts_come_out_whole() {
        // Noise, over 64 KiB a part: deflate stores it, and both miniz_oxide's sync flush and
        // flate2 1.1.10's writer flush left the end of such a part behind.
        let mut seed = 1u64;
        let pixels = (0..160 * 150 * 4)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect();
        let noise = Frame::from_bgra(160, 150, pixels).expect("frame");
        let (mut writer, mut reader) = (StreamWriter::default(), StreamReader::default());
        for round in 0..3 {
            if round == 2 {
                writer.reset();
                reader.reset();
            }
            writer.push(&noise, Rect::new(0, 0, 160, 150), no_pack);
            let part = writer.finish_frame().expect("deflate");
            reader
                .next_part(&part, 160 * 150 * 3)
                .expect("inflates whole");
        }
    }

    #[test]
    fn a_part_of_the_wrong_length_or_corrupt_breaks_the_stream_until_a_reset() {
        let picture = frame(64, 32, 3);
        let (mut writer, mut reader) = (StreamWriter::default(), StreamReader::default());
        writer.push(&picture, Rect::new(0, 0, 10, 10), no_pack);
        let part = writer.finish_frame().expect("deflate");
        assert!(reader.next_part(&part, 299).is_err(), "more than expected");
        assert!(!reader.intact());
        reader.reset();
        assert!(reader.next_part(&part, 301).is_err(), "fewer than expected");
        reader.reset();
        assert!(
            reader.next_part(&[0xff, 0x13, 0x07], 300).is_err(),
            "corrupt"
        );
        assert!(
            reader.next_part(&part, 300).is_err(),
            "a good part after a bad one is refused: the history is gone"
        );
        reader.reset();
        assert!(reader.next_part(&part, 300).is_ok());
    }

    #[test]
    fn only_a_rectangle_of_one_colour_is_solid() {
        let mut pixels = [0x10u8, 0x20, 0x30, 0xff].repeat(16 * 8);
        let flat = Frame::from_bgra(16, 8, pixels.clone()).expect("frame");
        assert_eq!(
            solid_colour(&flat, Rect::new(2, 1, 10, 5)),
            Some([0x10, 0x20, 0x30])
        );
        pixels[(7 * 16 + 15) * 4 + 2] = 0x31; // the last pixel's red
        let spotted = Frame::from_bgra(16, 8, pixels).expect("frame");
        assert_eq!(solid_colour(&spotted, Rect::new(0, 0, 16, 8)), None);
        assert!(solid_colour(&spotted, Rect::new(0, 0, 15, 8)).is_some());
    }
}
