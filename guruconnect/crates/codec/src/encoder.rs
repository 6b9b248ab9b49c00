//! The encoder: turns each captured picture into the rectangles that changed since the last one
//! (or a key frame), with moves (reported by the capturer and checked, or scrolls it finds
//! itself) sent as copies and the rest as zstd-compressed BGR rows.

use crate::frame::{Frame, BYTES_PER_PIXEL};
use crate::geometry::Rect;
use crate::moves::{apply_moves, verify, Move, MoveHint};
use crate::scroll::{changed_bounds, detect_vertical_in_strips};
use crate::split::split_solid;
use crate::stream::{solid_colour, StreamWriter};
use crate::tiles::DirtyGrid;
use crate::WIRE_BYTES_PER_PIXEL;

/// Largest rectangle the encoder emits, in pixels (1 MiB of BGRA): keeps every message well
/// inside the protocol's per-rectangle limit and lets a viewer paint a key frame band by band.
pub const MAX_RECT_AREA: u64 = 1 << 18;

/// Pixel rectangles up to this size (a line of text across a 1080p screen, a menu, a glyph)
/// go through the pixel stream, whose history pays on text; larger ones go to zstd, which is
/// several times faster on big or noisy areas.
const STREAM_MAX_AREA: u64 = 1 << 15;

/// Pixel rectangles at least this large (256×256) take the fast level during full motion;
/// smaller ones (typing, a caret, a menu) always get `zstd_level`, which costs them little time
/// and keeps their bytes as they were.
const LARGE_RECT_AREA: u64 = 1 << 16;

#[derive(Debug, Clone, Copy)]
pub struct EncoderConfig {
    /// Side of the change-detection tiles, in pixels.
    pub tile: u32,
    /// zstd level: 1 is fast and already good on screen content.
    pub zstd_level: i32,
    /// zstd level for large rectangles during full motion: while the large rectangles of the
    /// last frame that had any covered a quarter of the picture and compressed to more than half
    /// their size (video, games, noise). There zstd at `zstd_level` spends most of a frame's CPU
    /// budget to save a fifth or so of the bytes. `None` keeps `zstd_level` everywhere.
    pub fast_zstd_level: Option<i32>,
    /// Look for vertical scrolls in changed regions that no move hint explains.
    pub detect_scroll: bool,
    /// Send a rectangle of one colour as that colour (`RectPayload::Fill`).
    pub fills: bool,
    /// Send small rectangles through the frame's pixel stream (`RectPayload::Stream`), whose
    /// history carries across frames. Both need a viewer that knows them; the agent turns them
    /// on when the relay says its viewers do.
    pub stream: bool,
}

impl Default for EncoderConfig {
    fn default() -> Self {
        Self {
            tile: 32,
            zstd_level: 1,
            fast_zstd_level: Some(FAST_ZSTD_LEVEL),
            detect_scroll: true,
            fills: true,
            stream: true,
        }
    }
}

/// The default `fast_zstd_level`: BENCHMARKS.md ("Screen codec") measures what it costs and saves
/// on full motion against `zstd_level` and the levels between.
const FAST_ZSTD_LEVEL: i32 = -5;

/// What the large pixel rectangles of one frame covered and compressed to.
#[derive(Debug, Default, Clone, Copy)]
struct LargeRects {
    /// Pixels they covered.
    pixels: u64,
    /// Their compressed bytes.
    packed: u64,
    /// Pixels of the whole picture.
    picture: u64,
    /// Whether they went at the fast level, which compresses worse than the normal one.
    fast: bool,
}

impl LargeRects {
    fn add(&mut self, rect: Rect, packed: usize) {
        self.pixels += rect.area();
        self.packed += packed as u64;
    }

    /// Full motion: a quarter of the picture or more, compressed to more than half its size.
    /// zstd finds little to take out there, so a faster level loses little, and the area is
    /// large enough for its time to matter; a video in a small window or a photo scrolling by
    /// in strips costs little at the normal level and keeps its bytes.
    ///
    /// Measured at the fast level the same content looks worse, so staying there takes more
    /// than half: 60 %. Without that, content at about 45 % at the normal level and 55 % at the
    /// fast one would never return to the normal level once there.
    fn full_motion(&self) -> bool {
        let raw = self.pixels * WIRE_BYTES_PER_PIXEL as u64;
        let poorly = if self.fast {
            self.packed * 5 > raw * 3
        } else {
            self.packed * 2 > raw
        };
        self.pixels * 4 >= self.picture && poorly
    }
}

/// What travels for one rectangle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RectPayload {
    /// The rectangle's BGR rows, zstd-compressed.
    Zstd(Vec<u8>),
    /// Copy of the previous picture's pixels at (src_x, src_y); no pixel data.
    Copy { src_x: u32, src_y: u32 },
    /// One colour (blue, green, red) over the whole rectangle.
    Fill([u8; 3]),
    /// The rectangle's BGR rows are the next `area * 3` bytes of the frame's `stream`.
    Stream,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRect {
    pub rect: Rect,
    pub payload: RectPayload,
}

/// One encoded frame. Copies read the picture as it was before this frame; pixel rectangles
/// are painted after all copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    pub width: u32,
    pub height: u32,
    pub key: bool,
    pub rects: Vec<EncodedRect>,
    /// This frame's part of the pixel stream (see `stream.rs`): the rows of its `Stream`
    /// rectangles, in order. The stream starts again at every key frame.
    pub stream: Vec<u8>,
}

impl EncodedFrame {
    /// Bytes of pixel payload (what dominates the message size).
    pub fn payload_bytes(&self) -> usize {
        self.rects
            .iter()
            .map(|r| match &r.payload {
                RectPayload::Zstd(data) => data.len(),
                RectPayload::Fill(_) => WIRE_BYTES_PER_PIXEL,
                RectPayload::Copy { .. } | RectPayload::Stream => 0,
            })
            .sum::<usize>()
            + self.stream.len()
    }
}

pub struct Encoder {
    config: EncoderConfig,
    previous: Option<Frame>,
    /// The picture `previous` replaced, for the capturer to reuse (see `take_spent`).
    spent: Option<Frame>,
    key_requested: bool,
    compressor: zstd::bulk::Compressor<'static>,
    /// The level `compressor` is set to.
    level: i32,
    /// How the large rectangles of the last frame that had any compressed: picks the level of
    /// the next ones (full motion goes on from frame to frame).
    large_rects: LargeRects,
    scratch: Vec<u8>,
    stream: StreamWriter,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("config", &self.config)
            .field("previous", &self.previous)
            .finish()
    }
}

impl Encoder {
    pub fn new(config: EncoderConfig) -> std::io::Result<Self> {
        Ok(Self {
            config,
            previous: None,
            spent: None,
            key_requested: true,
            compressor: zstd::bulk::Compressor::new(config.zstd_level)?,
            level: config.zstd_level,
            large_rects: LargeRects::default(),
            scratch: Vec::new(),
            stream: StreamWriter::default(),
        })
    }

    /// Turns fill rectangles and the pixel stream on or off (what the viewers can decode); a
    /// change starts again from a key frame.
    pub fn set_features(&mut self, fills: bool, stream: bool) {
        if (fills, stream) != (self.config.fills, self.config.stream) {
            self.config.fills = fills;
            self.config.stream = stream;
            self.key_requested = true;
        }
    }

    /// The next `encode` produces a key frame (a viewer joined or lost frames).
    pub fn request_key_frame(&mut self) {
        self.key_requested = true;
    }

    /// Encodes `current` against the previous picture. `damage` lists the regions the capturer
    /// knows may have changed (XDamage, DXGI dirty rects); `None` means "look everywhere".
    /// `moves` are the capturer's move reports (DXGI move rects), relative to the picture it
    /// handed out before; each hint's destination counts as damage, and only the rows of a hint
    /// that match pixel for pixel become copies, so a stale or wrong hint cannot spoil the
    /// picture. Changed regions no hint explains are searched for scrolls as before.
    /// Returns `None` when nothing changed.
    pub fn encode(
        &mut self,
        current: Frame,
        damage: Option<&[Rect]>,
        moves: &[MoveHint],
    ) -> std::io::Result<Option<EncodedFrame>> {
        let (width, height) = (current.width(), current.height());
        let previous = match self.previous.take() {
            Some(p) if !self.key_requested && p.width() == width && p.height() == height => p,
            other => {
                self.key_requested = false;
                let frame = self.key_frame(&current)?;
                self.retire(other, current);
                return Ok(Some(frame));
            }
        };
        let mut grid = self.changed_tiles(&previous, &current, damage, moves);
        if !grid.any() {
            self.retire(Some(previous), current);
            return Ok(None);
        }
        let regions = grid.components(width, height);
        let mut copies = verify(moves, &previous, &current);
        copies.extend(self.find_moves(&regions, &copies, &previous, &current));
        let mut rects = Vec::new();
        // What the viewer will have before the pixels land: the old picture, or after copies.
        let reference = if copies.is_empty() {
            previous
        } else {
            let mut predicted = previous;
            apply_moves(&mut predicted, &copies);
            grid = DirtyGrid::new(width, height, self.config.tile);
            for region in regions {
                grid.compare(&predicted, &current, region);
            }
            rects.extend(copies.iter().flat_map(copy_rects));
            predicted
        };
        // The tiles find what changed cheaply; only the box of changed pixels inside each
        // rectangle travels (a typed character is a glyph, not a 32×32 tile or two).
        let pixels = grid
            .rects(width, height, MAX_RECT_AREA)
            .into_iter()
            .filter_map(|rect| changed_bounds(&reference, &current, rect))
            .collect();
        let (painted, stream) = self.pixel_rects(&current, pixels, false)?;
        rects.extend(painted);
        self.retire(Some(reference), current);
        Ok(Some(EncodedFrame {
            width,
            height,
            key: false,
            rects,
            stream,
        }))
    }

    /// `current` becomes the picture the next frame is compared with; the one it replaces is
    /// kept for `take_spent`.
    fn retire(&mut self, replaced: Option<Frame>, current: Frame) {
        self.previous = Some(current);
        if replaced.is_some() {
            self.spent = replaced;
        }
    }

    /// A picture the encoder no longer needs (what the last `encode` replaced), so the capturer
    /// can copy its next picture into that memory instead of allocating a new one.
    pub fn take_spent(&mut self) -> Option<Frame> {
        self.spent.take()
    }

    /// The tiles that differ inside the damage, or everywhere without it. A hint's destination
    /// is damage too: whatever moved there changed it.
    fn changed_tiles(
        &self,
        previous: &Frame,
        current: &Frame,
        damage: Option<&[Rect]>,
        hints: &[MoveHint],
    ) -> DirtyGrid {
        let (width, height) = (current.width(), current.height());
        let mut grid = DirtyGrid::new(width, height, self.config.tile);
        let Some(damage) = damage else {
            grid.compare(previous, current, Rect::new(0, 0, width, height));
            return grid;
        };
        for area in damage.iter().chain(hints.iter().map(|h| &h.dest)) {
            grid.compare(previous, current, *area);
        }
        grid
    }

    fn key_frame(&mut self, current: &Frame) -> std::io::Result<EncodedFrame> {
        let (width, height) = (current.width(), current.height());
        let mut grid = DirtyGrid::new(width, height, self.config.tile);
        grid.mark_all();
        self.stream.reset();
        let (rects, stream) =
            self.pixel_rects(current, grid.rects(width, height, MAX_RECT_AREA), true)?;
        Ok(EncodedFrame {
            width,
            height,
            key: true,
            rects,
            stream,
        })
    }

    /// Scrolls the encoder finds itself, in the changed regions that no checked hint reaches
    /// into (there the capturer already said what moved).
    fn find_moves(
        &self,
        regions: &[Rect],
        hinted: &[Move],
        previous: &Frame,
        current: &Frame,
    ) -> Vec<Move> {
        if !self.config.detect_scroll {
            return Vec::new();
        }
        let min_rows = self.config.tile * 2;
        regions
            .iter()
            .filter(|region| region.height >= min_rows)
            .filter(|region| hinted.iter().all(|m| m.dest.intersect(region).is_none()))
            .filter_map(|region| changed_bounds(previous, current, *region))
            .flat_map(|bounds| detect_vertical_in_strips(previous, current, bounds, min_rows))
            .collect()
    }

    /// Encodes `rects` of `frame`: one colour as a fill (large rectangles first cut around
    /// their flat parts), small ones through the pixel stream (not in a key frame, which would
    /// spend deflate's time on the whole screen), the rest with zstd (large ones at the fast
    /// level during full motion, remembering what this frame's large ones covered and
    /// compressed to). Returns them with the frame's part of the stream.
    fn pixel_rects(
        &mut self,
        frame: &Frame,
        rects: Vec<Rect>,
        key: bool,
    ) -> std::io::Result<(Vec<EncodedRect>, Vec<u8>)> {
        let rects = if self.config.fills {
            split_solid(frame, rects, self.config.tile)
        } else {
            rects
        };
        let fast = self
            .config
            .fast_zstd_level
            .filter(|_| self.large_rects.full_motion());
        let mut large = LargeRects {
            picture: u64::from(frame.width()) * u64::from(frame.height()),
            fast: fast.is_some(),
            ..LargeRects::default()
        };
        let mut encoded = Vec::with_capacity(rects.len());
        for rect in rects {
            let is_large = rect.area() >= LARGE_RECT_AREA;
            if let Some(colour) = self
                .config
                .fills
                .then(|| solid_colour(frame, rect))
                .flatten()
            {
                encoded.push(EncodedRect {
                    rect,
                    payload: RectPayload::Fill(colour),
                });
                continue;
            }
            if self.config.stream && !key && rect.area() <= STREAM_MAX_AREA {
                self.stream.push(frame, rect, pack_bgr);
                encoded.push(EncodedRect {
                    rect,
                    payload: RectPayload::Stream,
                });
                continue;
            }
            let level = fast.filter(|_| is_large).unwrap_or(self.config.zstd_level);
            let bytes = self.pixels(frame, rect, level)?;
            if is_large {
                large.add(rect, bytes.len());
            }
            encoded.push(EncodedRect {
                rect,
                payload: RectPayload::Zstd(bytes),
            });
        }
        // A frame without large rectangles (typing while a video is paused) says nothing new.
        if large.pixels > 0 {
            self.large_rects = large;
        }
        Ok((encoded, self.stream.finish_frame()?))
    }

    /// Packs `rect`'s BGR rows and compresses them at `level`.
    fn pixels(&mut self, frame: &Frame, rect: Rect, level: i32) -> std::io::Result<Vec<u8>> {
        if level != self.level {
            self.compressor.set_compression_level(level)?;
            self.level = level;
        }
        let row = rect.width as usize * WIRE_BYTES_PER_PIXEL;
        // Packing overwrites every byte, so only a change of size needs the buffer resized
        // (clearing and zero-filling it for each rectangle was a memset of it all).
        self.scratch
            .resize(rect.area() as usize * WIRE_BYTES_PER_PIXEL, 0);
        for (i, out) in self.scratch.chunks_exact_mut(row).enumerate() {
            pack_bgr(out, frame.row_span(rect.x, rect.y + i as u32, rect.width));
        }
        self.compressor.compress(&self.scratch)
    }
}

/// Packs BGRA pixels into BGR (`out` holds 3 bytes for every 4 of `bgra`), four pixels at a time
/// as one 128-bit word shifted together: about 1.5x faster than three-byte copies pixel by pixel
/// on rows in cache (a 1080p frame from memory is bound by memory either way, ~1 ms).
fn pack_bgr(out: &mut [u8], bgra: &[u8]) {
    const PIXEL: u128 = 0xff_ffff;
    let mut out_quads = out.chunks_exact_mut(4 * WIRE_BYTES_PER_PIXEL);
    let mut in_quads = bgra.chunks_exact(4 * BYTES_PER_PIXEL);
    for (d, s) in (&mut out_quads).zip(&mut in_quads) {
        let mut quad = [0u8; 16];
        quad.copy_from_slice(s);
        let v = u128::from_le_bytes(quad);
        let packed = (v & PIXEL)
            | ((v >> 8) & (PIXEL << 24))
            | ((v >> 16) & (PIXEL << 48))
            | ((v >> 24) & (PIXEL << 72));
        d.copy_from_slice(&packed.to_le_bytes()[..12]);
    }
    let (out, bgra) = (out_quads.into_remainder(), in_quads.remainder());
    for (d, s) in out
        .chunks_exact_mut(WIRE_BYTES_PER_PIXEL)
        .zip(bgra.chunks_exact(BYTES_PER_PIXEL))
    {
        d.copy_from_slice(&s[..WIRE_BYTES_PER_PIXEL]);
    }
}

/// Splits a move into copy rectangles no larger than `MAX_RECT_AREA`.
fn copy_rects(m: &Move) -> Vec<EncodedRect> {
    let rows_per_band = (MAX_RECT_AREA / u64::from(m.dest.width.max(1))).max(1) as u32;
    let mut rects = Vec::new();
    let mut offset = 0;
    while offset < m.dest.height {
        let rows = rows_per_band.min(m.dest.height - offset);
        rects.push(EncodedRect {
            rect: Rect::new(m.dest.x, m.dest.y + offset, m.dest.width, rows),
            payload: RectPayload::Copy {
                src_x: m.src_x,
                src_y: m.src_y + offset,
            },
        });
        offset += rows;
    }
    rects
}

#[cfg(test)]
mod tests {
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
}
