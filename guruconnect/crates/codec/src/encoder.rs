//! The encoder: turns each captured picture into the rectangles that changed since the last one
//! (or a key frame), with moves (reported by the capturer and checked, or scrolls it finds
//! itself) sent as copies and the rest as zstd-compressed BGR rows.

use crate::frame::{Frame, BYTES_PER_PIXEL};
use crate::geometry::Rect;
use crate::moves::{apply_moves, verify, Move, MoveHint};
use crate::scroll::{changed_bounds, detect_vertical};
use crate::tiles::DirtyGrid;
use crate::WIRE_BYTES_PER_PIXEL;

/// Largest rectangle the encoder emits, in pixels (1 MiB of BGRA): keeps every message well
/// inside the protocol's per-rectangle limit and lets a viewer paint a key frame band by band.
pub const MAX_RECT_AREA: u64 = 1 << 18;

#[derive(Debug, Clone, Copy)]
pub struct EncoderConfig {
    /// Side of the change-detection tiles, in pixels.
    pub tile: u32,
    /// zstd level: 1 is fast and already good on screen content.
    pub zstd_level: i32,
    /// Look for vertical scrolls in changed regions that no move hint explains.
    pub detect_scroll: bool,
}

impl Default for EncoderConfig {
    fn default() -> Self {
        Self {
            tile: 32,
            zstd_level: 1,
            detect_scroll: true,
        }
    }
}

/// What travels for one rectangle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RectPayload {
    /// The rectangle's BGR rows, zstd-compressed.
    Zstd(Vec<u8>),
    /// Copy of the previous picture's pixels at (src_x, src_y); no pixel data.
    Copy { src_x: u32, src_y: u32 },
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
}

impl EncodedFrame {
    /// Bytes of pixel payload (what dominates the message size).
    pub fn payload_bytes(&self) -> usize {
        self.rects
            .iter()
            .map(|r| match &r.payload {
                RectPayload::Zstd(data) => data.len(),
                RectPayload::Copy { .. } => 0,
            })
            .sum()
    }
}

pub struct Encoder {
    config: EncoderConfig,
    previous: Option<Frame>,
    key_requested: bool,
    compressor: zstd::bulk::Compressor<'static>,
    scratch: Vec<u8>,
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
            key_requested: true,
            compressor: zstd::bulk::Compressor::new(config.zstd_level)?,
            scratch: Vec::new(),
        })
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
            _ => {
                self.key_requested = false;
                let frame = self.key_frame(&current)?;
                self.previous = Some(current);
                return Ok(Some(frame));
            }
        };
        let mut grid = self.changed_tiles(&previous, &current, damage, moves);
        if !grid.any() {
            self.previous = Some(current);
            return Ok(None);
        }
        let regions = grid.components(width, height);
        let mut copies = verify(moves, &previous, &current);
        copies.extend(self.find_moves(&regions, &copies, &previous, &current));
        let mut rects = Vec::new();
        if !copies.is_empty() {
            // Diff against what the viewer will have after the copies, not the old picture.
            let mut predicted = previous;
            apply_moves(&mut predicted, &copies);
            grid = DirtyGrid::new(width, height, self.config.tile);
            for region in regions {
                grid.compare(&predicted, &current, region);
            }
            rects.extend(copies.iter().flat_map(copy_rects));
        }
        for rect in grid.rects(width, height, MAX_RECT_AREA) {
            rects.push(self.pixels(&current, rect)?);
        }
        self.previous = Some(current);
        Ok(Some(EncodedFrame {
            width,
            height,
            key: false,
            rects,
        }))
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
        let mut rects = Vec::new();
        for rect in grid.rects(width, height, MAX_RECT_AREA) {
            rects.push(self.pixels(current, rect)?);
        }
        Ok(EncodedFrame {
            width,
            height,
            key: true,
            rects,
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
            .filter_map(|bounds| detect_vertical(previous, current, bounds, min_rows))
            .collect()
    }

    /// Packs `rect`'s BGR rows and compresses them.
    fn pixels(&mut self, frame: &Frame, rect: Rect) -> std::io::Result<EncodedRect> {
        let row = rect.width as usize * WIRE_BYTES_PER_PIXEL;
        // Packing overwrites every byte, so only a change of size needs the buffer resized
        // (clearing and zero-filling it for each rectangle was a memset of it all).
        self.scratch
            .resize(rect.area() as usize * WIRE_BYTES_PER_PIXEL, 0);
        for (i, out) in self.scratch.chunks_exact_mut(row).enumerate() {
            pack_bgr(out, frame.row_span(rect.x, rect.y + i as u32, rect.width));
        }
        let data = self.compressor.compress(&self.scratch)?;
        Ok(EncodedRect {
            rect,
            payload: RectPayload::Zstd(data),
        })
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
}
