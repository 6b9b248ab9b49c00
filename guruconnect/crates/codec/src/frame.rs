//! A captured picture: BGRA pixels, rows packed without padding.

/// Bytes per pixel in a `Frame`: blue, green, red, and a fourth byte the codec ignores.
pub const BYTES_PER_PIXEL: usize = 4;

/// Largest width or height the codec accepts (16K displays).
pub const MAX_DIMENSION: u32 = 16_384;

/// Largest picture in pixels (an 8K display twice over): bounds what a decoder allocates for a
/// frame size it read off the wire.
pub const MAX_PIXELS: u64 = 1 << 26;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error(
        "frame size {width}x{height} is outside 1..={MAX_DIMENSION} or above {MAX_PIXELS} pixels"
    )]
    BadSize { width: u32, height: u32 },
    #[error("row stride {stride} is shorter than a row ({row} bytes)")]
    BadStride { stride: usize, row: usize },
    #[error("rectangle {0:?} is empty or outside the picture")]
    OutOfBounds(crate::Rect),
    #[error("pixel buffer has {got} bytes, needs {need}")]
    ShortBuffer { got: usize, need: usize },
}

/// One picture of a display. `pixels` holds `height` rows of `width * 4` bytes.
#[derive(PartialEq, Eq)]
pub struct Frame {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Clone for Frame {
    fn clone(&self) -> Self {
        Self {
            width: self.width,
            height: self.height,
            pixels: self.pixels.clone(),
        }
    }

    /// Copies into this picture's memory: a capturer handing out copies of its picture every
    /// frame reuses a spent one instead of allocating (and faulting in) 8 MB each time at 1080p.
    fn clone_from(&mut self, source: &Self) {
        self.width = source.width;
        self.height = source.height;
        self.pixels.clone_from(&source.pixels);
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({}x{})", self.width, self.height)
    }
}

impl Frame {
    /// A black, opaque picture.
    pub fn black(width: u32, height: u32) -> Result<Self, FrameError> {
        check_size(width, height)?;
        let mut pixels = vec![0u8; width as usize * height as usize * BYTES_PER_PIXEL];
        pixels
            .chunks_exact_mut(BYTES_PER_PIXEL)
            .for_each(|p| p[3] = 0xff);
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    /// Takes packed BGRA rows as they are.
    pub fn from_bgra(width: u32, height: u32, pixels: Vec<u8>) -> Result<Self, FrameError> {
        check_size(width, height)?;
        let need = width as usize * height as usize * BYTES_PER_PIXEL;
        if pixels.len() != need {
            return Err(FrameError::ShortBuffer {
                got: pixels.len(),
                need,
            });
        }
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    /// Copies BGRA rows that are `stride` bytes apart (as capture APIs hand them out).
    pub fn from_strided(
        width: u32,
        height: u32,
        stride: usize,
        data: &[u8],
    ) -> Result<Self, FrameError> {
        check_size(width, height)?;
        let row = width as usize * BYTES_PER_PIXEL;
        if stride < row {
            return Err(FrameError::BadStride { stride, row });
        }
        let need = stride * (height as usize - 1) + row;
        if data.len() < need {
            return Err(FrameError::ShortBuffer {
                got: data.len(),
                need,
            });
        }
        let mut pixels = Vec::with_capacity(row * height as usize);
        for y in 0..height as usize {
            pixels.extend_from_slice(&data[y * stride..y * stride + row]);
        }
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    pub fn pixels_mut(&mut self) -> &mut [u8] {
        &mut self.pixels
    }

    pub fn into_pixels(self) -> Vec<u8> {
        self.pixels
    }

    pub fn stride(&self) -> usize {
        self.width as usize * BYTES_PER_PIXEL
    }

    /// Bytes of row `y` from column `x` for `width` pixels. Callers pass in-bounds values.
    pub(crate) fn row_span(&self, x: u32, y: u32, width: u32) -> &[u8] {
        let start = y as usize * self.stride() + x as usize * BYTES_PER_PIXEL;
        &self.pixels[start..start + width as usize * BYTES_PER_PIXEL]
    }

    pub(crate) fn row_span_mut(&mut self, x: u32, y: u32, width: u32) -> &mut [u8] {
        let start = y as usize * self.stride() + x as usize * BYTES_PER_PIXEL;
        &mut self.pixels[start..start + width as usize * BYTES_PER_PIXEL]
    }

    /// Copies BGRA rows `stride` bytes apart into `rect` of this picture (a capturer refreshing
    /// just the region that changed).
    pub fn write_rect(
        &mut self,
        rect: crate::Rect,
        stride: usize,
        data: &[u8],
    ) -> Result<(), FrameError> {
        if rect.is_empty() || !rect.fits_in(self.width, self.height) {
            return Err(FrameError::OutOfBounds(rect));
        }
        let row = rect.width as usize * BYTES_PER_PIXEL;
        if stride < row {
            return Err(FrameError::BadStride { stride, row });
        }
        let need = stride * (rect.height as usize - 1) + row;
        if data.len() < need {
            return Err(FrameError::ShortBuffer {
                got: data.len(),
                need,
            });
        }
        for i in 0..rect.height {
            let src = &data[i as usize * stride..i as usize * stride + row];
            self.row_span_mut(rect.x, rect.y + i, rect.width)
                .copy_from_slice(src);
        }
        Ok(())
    }

    /// The pixel at (x, y) as [b, g, r, a]; for tests and tools.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let span = self.row_span(x, y, 1);
        [span[0], span[1], span[2], span[3]]
    }

    /// True when both pictures have the same size and the same colours (the fourth byte of each
    /// pixel is ignored, as it is on the wire).
    pub fn same_colours(&self, other: &Frame) -> bool {
        self.width == other.width
            && self.height == other.height
            && self
                .pixels
                .chunks_exact(BYTES_PER_PIXEL)
                .zip(other.pixels.chunks_exact(BYTES_PER_PIXEL))
                .all(|(a, b)| a[..3] == b[..3])
    }
}

/// The BGRA rows of a rectangle, copied out. Callers pass in-bounds values.
pub(crate) fn copy_rows(frame: &Frame, x: u32, y: u32, width: u32, height: u32) -> Vec<u8> {
    let mut rows = Vec::with_capacity(width as usize * height as usize * BYTES_PER_PIXEL);
    for i in 0..height {
        rows.extend_from_slice(frame.row_span(x, y + i, width));
    }
    rows
}

fn check_size(width: u32, height: u32) -> Result<(), FrameError> {
    if width == 0
        || height == 0
        || width > MAX_DIMENSION
        || height > MAX_DIMENSION
        || u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        return Err(FrameError::BadSize { width, height });
    }
    Ok(())
}
