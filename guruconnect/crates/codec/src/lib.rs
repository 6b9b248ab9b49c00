//! The GuruConnect screen codec, shared by the agent, the tests, the benchmarks and a native
//! viewer. Lossless: the decoder reproduces the encoder's input exactly (colour channels; the
//! fourth byte of every pixel decodes as opaque).
//!
//! The encoder compares each frame with the previous one tile by tile (only inside the damage
//! hints when the capturer has them), merges dirty tiles into rectangles, turns moves into copy
//! rectangles — the capturer's move hints (DXGI move rects, any direction) once checked pixel for
//! pixel, and the vertical scrolls it finds itself elsewhere — trims each rectangle to the pixels
//! that changed, sends one colour as a fill, small rectangles through a deflate stream whose
//! history carries across frames (`stream.rs`), and the rest as BGR rows compressed with zstd
//! (at a faster level for large rectangles during full motion). The decoder
//! applies such frames to its own picture and rejects malformed input with an error, never a
//! panic.
#![forbid(unsafe_code)]

mod decoder;
mod encoder;
mod frame;
mod geometry;
mod moves;
mod scroll;
mod split;
mod stream;
mod tiles;

pub use decoder::{DecodeError, Decoder};
pub use encoder::{EncodedFrame, EncodedRect, Encoder, EncoderConfig, RectPayload};
pub use frame::{Frame, FrameError, BYTES_PER_PIXEL};
pub use geometry::Rect;
pub use moves::MoveHint;

/// Bytes per pixel on the wire: blue, green, red. The fourth byte of a BGRA pixel is not sent.
pub const WIRE_BYTES_PER_PIXEL: usize = 3;
