// The browser side of guruconnect-codec (FRAME_ENCODING_ZSTD_BGR): applies VideoFrames to an
// RGBA picture the canvas can take as ImageData. Same rules as the Rust decoder: every
// rectangle is checked and decompressed before anything is written, so a refused frame changes
// nothing; copies read the picture as it was before the frame and land before any pixels.
// Rectangles are zstd rows, one colour, or rows from the frame's part of the pixel stream.
// Fills are written only once their pixels are needed (pending-fills.ts).
import { FrameEncoding, type VideoFrame } from "../protocol/wire";
import { PendingFills } from "./pending-fills";
import { StreamInflater } from "./stream";
import type { Inflate } from "./zstd";

/** Limits shared with guruconnect-codec (encoder.rs MAX_RECT_AREA, frame.rs MAX_*). */
export const MAX_RECT_AREA = 1 << 18;
export const MAX_DIMENSION = 16_384;
export const MAX_PIXELS = 1 << 26;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A painted rectangle; `fill` is its one colour (0xAABBGGRR) when it is a fill. */
export interface Painted extends Rect {
  fill?: number;
}

export class DecodeError extends Error {
  constructor(
    readonly kind: "need_key_frame" | "bad_frame",
    detail: string,
  ) {
    super(detail);
  }
}

type Ready =
  | { kind: "copy"; rect: Rect; rows: Uint32Array }
  | { kind: "pixels"; rect: Rect; bgr: Uint8Array }
  | { kind: "fill"; rect: Rect; word: number };

export class FrameDecoder {
  width = 0;
  height = 0;
  /** The picture's memory as RGBA bytes, row-major, `width * height * 4`. */
  private bytes = new Uint8ClampedArray(0);
  /** The same memory as one little-endian 0xAABBGGRR word a pixel, for fast writes. */
  private words = new Uint32Array(0);
  /** Fills not yet in `words`: the picture is `words` with these painted over. */
  private readonly fills = new PendingFills();
  private readonly stream = new StreamInflater();

  constructor(private readonly inflate: Inflate) {}

  /** The whole picture as RGBA bytes, row-major, `width * height * 4`. */
  get rgba(): Uint8ClampedArray {
    this.fills.settle(this.words, this.width);
    return this.bytes;
  }

  /**
   * The picture's RGBA bytes with every pixel inside `regions` final; elsewhere a fill may
   * still be waiting. For cutting the painted regions out without writing the rest.
   */
  rgbaWithin(regions: Rect[]): Uint8ClampedArray {
    this.fills.settle(this.words, this.width, regions);
    return this.bytes;
  }

  /** True once a key frame arrived, so deltas can apply. */
  get ready(): boolean {
    return this.width > 0;
  }

  /** Applies one frame; returns the rectangles it painted. Throws DecodeError. */
  apply(frame: VideoFrame): Painted[] {
    if (frame.encoding !== FrameEncoding.FRAME_ENCODING_ZSTD_BGR) {
      throw new DecodeError("bad_frame", `unsupported frame encoding ${frame.encoding}`);
    }
    const { width, height } = frame;
    const sameSize = this.ready && width === this.width && height === this.height;
    if (!sameSize && !frame.keyFrame) {
      throw new DecodeError("need_key_frame", "a delta frame needs the key frame before it");
    }
    checkSize(width, height);
    if (frame.keyFrame) this.stream.reset();
    // Copies read the picture as it is, fills included.
    if (sameSize) this.fills.settle(this.words, width, copySources(frame));
    const base = sameSize ? this.words : new Uint32Array(width * height).fill(0xff000000);
    let ready: Ready[];
    try {
      ready = prepare(frame, base, width, height, this.inflate, this.stream);
    } catch (e) {
      // Whatever of the stream this frame consumed is history the picture now lacks.
      if (frame.stream.length > 0) this.stream.breakOff();
      throw e;
    }
    if (!sameSize) {
      this.width = width;
      this.height = height;
      this.words = base;
      this.bytes = new Uint8ClampedArray(base.buffer);
      this.fills.clear();
    }
    return write(this.words, width, ready, this.fills);
  }
}

/** Where the frame's copies read from (rectangles that fit; prepare refuses the others). */
function copySources(frame: VideoFrame): Rect[] {
  return frame.rects
    .filter((r) => r.isCopy && r.rect)
    .map((r) => ({ x: r.srcX, y: r.srcY, width: r.rect!.width, height: r.rect!.height }));
}

function checkSize(width: number, height: number): void {
  const ok =
    width > 0 &&
    height > 0 &&
    width <= MAX_DIMENSION &&
    height <= MAX_DIMENSION &&
    width * height <= MAX_PIXELS;
  if (!ok) throw new DecodeError("bad_frame", `bad picture size ${width}x${height}`);
}

function fits(r: Rect, width: number, height: number): boolean {
  return r.x + r.width <= width && r.y + r.height <= height;
}

function prepare(
  frame: VideoFrame,
  picture: Uint32Array,
  width: number,
  height: number,
  inflate: Inflate,
  stream: StreamInflater,
): Ready[] {
  if (frame.rects.length > 4096) throw new DecodeError("bad_frame", "more than 4096 rectangles");
  let streamed = 0;
  for (const r of frame.rects) {
    const rect: Rect = r.rect ?? { x: 0, y: 0, width: 0, height: 0 };
    if (rect.width === 0 || rect.height === 0 || !fits(rect, width, height)) {
      throw new DecodeError("bad_frame", `rectangle ${describe(rect)} is outside the picture`);
    }
    if (rect.width * rect.height > MAX_RECT_AREA) {
      throw new DecodeError("bad_frame", `rectangle ${describe(rect)} is too large`);
    }
    if (takesStream(r)) streamed += rect.width * rect.height;
  }
  const rows = streamRows(frame, streamed, width * height, stream);
  let taken = 0;
  return frame.rects.map((r): Ready => {
    const rect = r.rect!;
    if (r.isCopy) {
      const source = { x: r.srcX, y: r.srcY, width: rect.width, height: rect.height };
      if (!fits(source, width, height)) {
        throw new DecodeError("bad_frame", `copy source of ${describe(rect)} is outside`);
      }
      return { kind: "copy", rect, rows: readRows(picture, width, source) };
    }
    if (r.isFill) {
      const bgr = r.fillBgr;
      // Little-endian RGBA word: A=255, then B, G, R from the wire's blue, green, red.
      return { kind: "fill", rect, word: (0xff000000 | ((bgr & 0xff) << 16) | (bgr & 0xff00) | ((bgr >> 16) & 0xff)) >>> 0 };
    }
    if (r.inStream) {
      const length = rect.width * rect.height * 3;
      const bgr = rows.subarray(taken, taken + length);
      taken += length;
      return { kind: "pixels", rect, bgr };
    }
    return { kind: "pixels", rect, bgr: inflateRect(rect, r.data, inflate) };
  });
}

/** A rectangle whose rows come from the frame's pixel stream. */
function takesStream(r: VideoFrame["rects"][number]): boolean {
  return r.inStream && !r.isCopy && !r.isFill;
}

/** The frame's part of the pixel stream, inflated: exactly the rows of its stream rectangles. */
function streamRows(frame: VideoFrame, streamed: number, pictureArea: number, stream: StreamInflater): Uint8Array {
  if (streamed === 0 && frame.stream.length === 0) return new Uint8Array(0);
  // Rectangles may overlap, but the stream never needs to paint more than the picture.
  if (streamed > pictureArea) throw new DecodeError("bad_frame", `${streamed} streamed pixels in a picture of ${pictureArea}`);
  if (!stream.usable) throw new DecodeError("need_key_frame", "the pixel stream broke earlier");
  try {
    return stream.next(frame.stream, streamed * 3);
  } catch (e) {
    throw new DecodeError("bad_frame", `pixel stream: ${String(e)}`);
  }
}

function describe(r: Rect): string {
  return `${r.width}x${r.height}+${r.x}+${r.y}`;
}

function readRows(picture: Uint32Array, width: number, r: Rect): Uint32Array {
  const rows = new Uint32Array(r.width * r.height);
  for (let row = 0; row < r.height; row++) {
    const start = (r.y + row) * width + r.x;
    rows.set(picture.subarray(start, start + r.width), row * r.width);
  }
  return rows;
}

/** Decompresses exactly `area * 3` bytes; more or fewer is corruption. */
function inflateRect(rect: Rect, data: Uint8Array, inflate: Inflate): Uint8Array {
  try {
    return inflate(data, rect.width * rect.height * 3);
  } catch (e) {
    throw new DecodeError("bad_frame", `rectangle ${describe(rect)}: ${String(e)}`);
  }
}

function write(picture: Uint32Array, width: number, ready: Ready[], fills: PendingFills): Painted[] {
  const ordered = [...ready.filter((r) => r.kind === "copy"), ...ready.filter((r) => r.kind !== "copy")];
  for (const item of ordered) {
    const { x, y, width: w, height: h } = item.rect;
    if (item.kind === "fill") {
      fills.add(item.rect, item.word, picture, width);
      continue;
    }
    // What lands here goes over any fill still waiting beneath it.
    fills.settle(picture, width, [item.rect]);
    if (item.kind === "copy") {
      for (let row = 0; row < h; row++) {
        picture.set(item.rows.subarray(row * w, (row + 1) * w), (y + row) * width + x);
      }
      continue;
    }
    const bgr = item.bgr;
    let i = 0;
    for (let row = 0; row < h; row++) {
      let o = (y + row) * width + x;
      const end = o + w;
      while (o < end) {
        // Little-endian RGBA word: A=255, B, G, R from the wire's B, G, R bytes.
        picture[o++] = 0xff000000 | (bgr[i] << 16) | (bgr[i + 1] << 8) | bgr[i + 2];
        i += 3;
      }
    }
  }
  return ordered.map((r) => (r.kind === "fill" ? { ...r.rect, fill: r.word } : r.rect));
}
