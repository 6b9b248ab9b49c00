// Fills the decoder writes only when their pixels are needed: random frames of overlapping
// fills, pixels and copies, checked against a picture painted straight away after every frame,
// both where the worker cuts bitmaps and as a whole; and the laziness itself.
import { describe, expect, it } from "vitest";
import { FrameDecoder, type Rect } from "../src/codec/decoder";
import { MAX_PENDING_FILLS, PendingFills } from "../src/codec/pending-fills";
import { FrameEncoding, type VideoFrame } from "../src/protocol/wire";

type FrameRect = VideoFrame["rects"][number];

const W = 64;
const H = 48;

/** zstd stands aside: these rectangles carry their BGR rows as they are. */
const rawRows = (data: Uint8Array, size: number): Uint8Array => {
  if (data.length !== size) throw new Error(`expected ${size} bytes, got ${data.length}`);
  return data;
};

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function frame(rects: FrameRect[], keyFrame: boolean, sequence: bigint): VideoFrame {
  return {
    encoding: FrameEncoding.FRAME_ENCODING_ZSTD_BGR,
    displayId: "d",
    width: W,
    height: H,
    rects,
    keyFrame,
    sequence,
    captureTimestampUs: 0n,
    stream: new Uint8Array(),
  };
}

const base = { data: new Uint8Array(), isCopy: false, srcX: 0, srcY: 0, isFill: false, fillBgr: 0, inStream: false };

const fill = (rect: Rect, fillBgr: number): FrameRect => ({ ...base, rect, isFill: true, fillBgr });
const copy = (rect: Rect, srcX: number, srcY: number): FrameRect => ({ ...base, rect, isCopy: true, srcX, srcY });
function pixels(rect: Rect, next: (n: number) => number): FrameRect {
  const data = new Uint8Array(rect.width * rect.height * 3).map(() => next(256));
  return { ...base, rect, data };
}

function randomRect(next: (n: number) => number): Rect {
  const width = 1 + next(W);
  const height = 1 + next(H);
  return { x: next(W - width + 1), y: next(H - height + 1), width, height };
}

/** The picture painted at once, in the decoder's order: copies (from the picture before the
 * frame) first, then fills and pixels as they come. */
function paintAtOnce(picture: Uint32Array, f: VideoFrame): void {
  const before = picture.slice();
  const ordered = [...f.rects.filter((r) => r.isCopy), ...f.rects.filter((r) => !r.isCopy)];
  for (const r of ordered) {
    const { x, y, width, height } = r.rect!;
    for (let row = 0; row < height; row++) {
      for (let col = 0; col < width; col++) {
        const at = (y + row) * W + x + col;
        if (r.isCopy) picture[at] = before[(r.srcY + row) * W + r.srcX + col];
        else if (r.isFill) {
          const bgr = r.fillBgr;
          picture[at] = (0xff000000 | ((bgr & 0xff) << 16) | (bgr & 0xff00) | ((bgr >> 16) & 0xff)) >>> 0;
        } else {
          const i = (row * width + col) * 3;
          picture[at] = (0xff000000 | (r.data[i] << 16) | (r.data[i + 1] << 8) | r.data[i + 2]) >>> 0;
        }
      }
    }
  }
}

function wordsWithin(rgba: Uint8ClampedArray, r: Rect): number[] {
  const words = new Uint32Array(rgba.buffer, rgba.byteOffset, W * H);
  const out: number[] = [];
  for (let row = r.y; row < r.y + r.height; row++) out.push(...words.subarray(row * W + r.x, row * W + r.x + r.width));
  return out;
}

function referenceWithin(picture: Uint32Array, r: Rect): number[] {
  const bytes = new Uint8ClampedArray(picture.buffer);
  return wordsWithin(bytes, r);
}

describe("pending fills", () => {
  it("paint the same pictures as fills written at once, wherever and whenever they are read", () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const next = random(seed);
      const decoder = new FrameDecoder(rawRows);
      const reference = new Uint32Array(W * H);
      const key = frame([pixels({ x: 0, y: 0, width: W, height: H }, next)], true, 0n);
      decoder.apply(key);
      paintAtOnce(reference, key);
      for (let n = 1; n <= 200; n++) {
        const rects = Array.from({ length: 1 + next(6) }, () => {
          const kind = next(20);
          const rect = randomRect(next);
          if (kind < 12) return fill(rect, next(1 << 24));
          if (kind < 16) return pixels(rect, next);
          return copy(rect, next(W - rect.width + 1), next(H - rect.height + 1));
        });
        const f = frame(rects, false, BigInt(n));
        decoder.apply(f);
        paintAtOnce(reference, f);
        // The worker's read: the regions just painted, or a random one, final; now and then
        // the whole picture.
        const regions = next(2) === 0 ? rects.map((r) => r.rect!) : [randomRect(next)];
        const rgba = decoder.rgbaWithin(regions);
        for (const region of regions) {
          expect(wordsWithin(rgba, region), `seed ${seed}, frame ${n}, ${JSON.stringify(region)}`).toEqual(
            referenceWithin(reference, region),
          );
        }
        if (next(10) === 0) expect(new Uint32Array(decoder.rgba.buffer), `seed ${seed}, frame ${n}`).toEqual(reference);
      }
      expect(new Uint32Array(decoder.rgba.buffer)).toEqual(reference);
    }
  });

  it("wait in the decoder until something reads their pixels", () => {
    const next = random(9);
    const decoder = new FrameDecoder(rawRows);
    decoder.apply(frame([pixels({ x: 0, y: 0, width: W, height: H }, next)], true, 0n));
    const key = new Uint32Array(decoder.rgba.slice().buffer);
    const top = { x: 0, y: 0, width: W, height: H / 2 };
    const bottomCorner = { x: W - 2, y: H - 2, width: 2, height: 2 };
    const topCorner = { x: 0, y: 0, width: 2, height: 2 };

    decoder.apply(frame([fill(top, 0x0000ff)], false, 1n));
    // Reading elsewhere leaves the fill waiting: the top still holds the key frame's pixels.
    expect(new Uint32Array(decoder.rgbaWithin([bottomCorner]).buffer)[0]).toBe(key[0]);

    decoder.apply(frame([fill(top, 0x00ff00)], false, 2n));
    const green = 0xff00ff00;
    expect(new Uint32Array(decoder.rgbaWithin([topCorner]).buffer)[0]).toBe(green);
    const whole = new Uint32Array(decoder.rgba.buffer);
    expect(whole.every((w, i) => w === (i < (W * H) / 2 ? green : key[i]))).toBe(true);
  });

  it("never let more than a bounded number wait, however many arrive unread", () => {
    const fills = new PendingFills();
    const picture = new Uint32Array(W * H);
    // One-pixel fills, none covering another, never read: a hostile agent's pattern.
    for (let i = 0; i < 10 * MAX_PENDING_FILLS; i++) {
      fills.add({ x: i % W, y: Math.floor(i / W) % H, width: 1, height: 1 }, 0xff000000 | i, picture, W);
      expect(fills.length).toBeLessThanOrEqual(MAX_PENDING_FILLS);
    }
    // What was written for the bound is what those fills painted.
    expect(picture[0]).not.toBe(0);
  });
});
