//! The decoder: applies encoded frames to its picture. Everything is checked before any pixel
//! is written, so a malformed frame is refused whole with an error and leaves the picture as it
//! was; no input makes it panic or allocate beyond the frame's own size.

use crate::encoder::{EncodedFrame, RectPayload, MAX_RECT_AREA};
use crate::frame::{copy_rows, Frame, FrameError, BYTES_PER_PIXEL};
use crate::geometry::Rect;
use crate::stream::StreamReader;
use crate::WIRE_BYTES_PER_PIXEL;

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("a delta frame needs a key frame of the same size first")]
    NeedKeyFrame,
    #[error(transparent)]
    BadSize(#[from] FrameError),
    #[error("rectangle {0:?} is empty or outside the picture")]
    OutOfBounds(Rect),
    #[error("rectangle {0:?} is larger than {MAX_RECT_AREA} pixels")]
    TooLarge(Rect),
    #[error("copy source of {0:?} is outside the picture")]
    BadCopySource(Rect),
    #[error("pixel data of {rect:?} is corrupt: {detail}")]
    Corrupt { rect: Rect, detail: String },
    #[error("the frame's pixel stream is corrupt: {0}")]
    Stream(String),
}

pub struct Decoder {
    picture: Option<Frame>,
    decompressor: zstd::bulk::Decompressor<'static>,
    stream: StreamReader,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("picture", &self.picture)
            .finish()
    }
}

/// A rectangle checked and ready to write.
enum Ready {
    Copy { rect: Rect, rows: Vec<u8> },
    Pixels { rect: Rect, bgr: Vec<u8> },
    Fill { rect: Rect, bgr: [u8; 3] },
}

impl Decoder {
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            picture: None,
            decompressor: zstd::bulk::Decompressor::new()?,
            stream: StreamReader::default(),
        })
    }

    /// The current picture, once a key frame arrived.
    pub fn picture(&self) -> Option<&Frame> {
        self.picture.as_ref()
    }

    /// Applies one frame; returns the rectangles that were painted. On error the picture is
    /// unchanged.
    pub fn apply(&mut self, frame: &EncodedFrame) -> Result<Vec<Rect>, DecodeError> {
        let same_size = self
            .picture
            .as_ref()
            .is_some_and(|p| p.width() == frame.width && p.height() == frame.height);
        if !same_size && !frame.key {
            return Err(DecodeError::NeedKeyFrame);
        }
        let fresh = match same_size {
            true => None,
            false => Some(Frame::black(frame.width, frame.height)?),
        };
        let base = match (&fresh, &self.picture) {
            (Some(f), _) | (None, Some(f)) => f,
            (None, None) => return Err(DecodeError::NeedKeyFrame),
        };
        if frame.key {
            self.stream.reset();
        }
        let stream = &mut self.stream;
        let ready = prepare(&mut self.decompressor, stream, base, frame).inspect_err(|_| {
            // Whatever of the stream this frame consumed is history the picture now lacks.
            if !frame.stream.is_empty() {
                stream.break_off();
            }
        })?;
        if fresh.is_some() {
            self.picture = fresh;
        }
        let picture = self.picture.as_mut().ok_or(DecodeError::NeedKeyFrame)?;
        Ok(write(picture, ready))
    }
}

/// Checks every rectangle and decompresses every payload; copies read the old picture here.
/// The geometry of all rectangles is checked before the stream is touched.
fn prepare(
    decompressor: &mut zstd::bulk::Decompressor<'static>,
    stream: &mut StreamReader,
    picture: &Frame,
    frame: &EncodedFrame,
) -> Result<Vec<Ready>, DecodeError> {
    let mut streamed = 0u64;
    for r in &frame.rects {
        let rect = r.rect;
        if rect.is_empty() || !rect.fits_in(frame.width, frame.height) {
            return Err(DecodeError::OutOfBounds(rect));
        }
        if rect.area() > MAX_RECT_AREA {
            return Err(DecodeError::TooLarge(rect));
        }
        if let RectPayload::Stream = r.payload {
            streamed += rect.area();
        }
    }
    // Rectangles may overlap, but the stream never needs to paint more than the picture: a
    // frame claiming more would only make the decoder allocate for it.
    if streamed > u64::from(frame.width) * u64::from(frame.height) {
        return Err(DecodeError::Stream(format!(
            "{streamed} pixels in a {}x{} picture",
            frame.width, frame.height
        )));
    }
    let mut rows = if streamed > 0 || !frame.stream.is_empty() {
        if !stream.intact() {
            // An earlier part did not land: this one's back-references point at history the
            // picture does not have.
            return Err(DecodeError::NeedKeyFrame);
        }
        let expected = streamed as usize * WIRE_BYTES_PER_PIXEL;
        stream
            .next_part(&frame.stream, expected)
            .map_err(DecodeError::Stream)?
    } else {
        Vec::new()
    };
    let mut ready = Vec::with_capacity(frame.rects.len().min(4096));
    let mut taken = 0;
    for r in &frame.rects {
        let rect = r.rect;
        match &r.payload {
            RectPayload::Copy { src_x, src_y } => {
                let source = Rect::new(*src_x, *src_y, rect.width, rect.height);
                if !source.fits_in(frame.width, frame.height) {
                    return Err(DecodeError::BadCopySource(rect));
                }
                let rows = copy_rows(picture, *src_x, *src_y, rect.width, rect.height);
                ready.push(Ready::Copy { rect, rows });
            }
            RectPayload::Zstd(data) => {
                let bgr = inflate(decompressor, rect, data)?;
                ready.push(Ready::Pixels { rect, bgr });
            }
            RectPayload::Fill(bgr) => ready.push(Ready::Fill { rect, bgr: *bgr }),
            RectPayload::Stream => {
                let len = rect.area() as usize * WIRE_BYTES_PER_PIXEL;
                let bgr = if taken == 0 && len == rows.len() {
                    std::mem::take(&mut rows)
                } else {
                    rows[taken..taken + len].to_vec()
                };
                taken += len;
                ready.push(Ready::Pixels { rect, bgr });
            }
        }
    }
    Ok(ready)
}

/// Decompresses exactly `area * 3` bytes; more or fewer is corruption.
fn inflate(
    decompressor: &mut zstd::bulk::Decompressor<'static>,
    rect: Rect,
    data: &[u8],
) -> Result<Vec<u8>, DecodeError> {
    let expected = rect.area() as usize * WIRE_BYTES_PER_PIXEL;
    let mut bgr = vec![0u8; expected];
    let written = decompressor
        .decompress_to_buffer(data, &mut bgr[..])
        .map_err(|e| DecodeError::Corrupt {
            rect,
            detail: e.to_string(),
        })?;
    if written != expected {
        return Err(DecodeError::Corrupt {
            rect,
            detail: format!("{written} bytes of pixels, expected {expected}"),
        });
    }
    Ok(bgr)
}

/// Writes checked rectangles: all copies, then all pixels.
fn write(picture: &mut Frame, ready: Vec<Ready>) -> Vec<Rect> {
    let mut painted = Vec::with_capacity(ready.len());
    let (copies, pixels): (Vec<_>, Vec<_>) = ready
        .into_iter()
        .partition(|r| matches!(r, Ready::Copy { .. }));
    for item in copies.into_iter().chain(pixels) {
        match item {
            Ready::Copy { rect, rows } => {
                let row = rect.width as usize * BYTES_PER_PIXEL;
                for (i, chunk) in rows.chunks_exact(row).enumerate() {
                    picture
                        .row_span_mut(rect.x, rect.y + i as u32, rect.width)
                        .copy_from_slice(chunk);
                }
                painted.push(rect);
            }
            Ready::Pixels { rect, bgr } => {
                let row = rect.width as usize * WIRE_BYTES_PER_PIXEL;
                for (i, src) in bgr.chunks_exact(row).enumerate() {
                    let dst = picture.row_span_mut(rect.x, rect.y + i as u32, rect.width);
                    for (d, s) in dst
                        .chunks_exact_mut(BYTES_PER_PIXEL)
                        .zip(src.chunks_exact(WIRE_BYTES_PER_PIXEL))
                    {
                        d[..3].copy_from_slice(s);
                        d[3] = 0xff;
                    }
                }
                painted.push(rect);
            }
            Ready::Fill { rect, bgr } => {
                let pixel = [bgr[0], bgr[1], bgr[2], 0xff];
                for y in rect.y..rect.y + rect.height {
                    for d in picture
                        .row_span_mut(rect.x, y, rect.width)
                        .chunks_exact_mut(BYTES_PER_PIXEL)
                    {
                        d.copy_from_slice(&pixel);
                    }
                }
                painted.push(rect);
            }
        }
    }
    painted
}
