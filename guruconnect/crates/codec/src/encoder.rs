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
#[path = "encoder_tests.rs"]
mod tests;
