// The TypeScript frame decoder against frames the Rust encoder produced (the fixture is pinned
// by guruconnect-agent's web_fixture test): same pictures bit for bit, and malformed frames are
// refused with a DecodeError without touching the picture.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { DecodeError, FrameDecoder } from "../src/codec/decoder";
import { type Inflate, loadInflate } from "../src/codec/zstd";
import { decode, FrameEncoding, type VideoFrame } from "../src/protocol/wire";

interface Step {
  envelope_hex: string;
  width: number;
  height: number;
  copies: number;
  rgb_sha256: string;
}

const steps: Step[] = JSON.parse(
  readFileSync(new URL("./fixtures/frames.json", import.meta.url), "utf8"),
).steps;

function frameOf(step: Step): VideoFrame {
  const payload = decode(Buffer.from(step.envelope_hex, "hex"));
  if (payload?.$case !== "videoFrame") throw new Error("fixture holds a VideoFrame");
  return payload.value;
}

function rgbDigest(decoder: FrameDecoder): string {
  const rgb = Buffer.alloc(decoder.width * decoder.height * 3);
  const rgba = decoder.rgba;
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    rgb[o] = rgba[i];
    rgb[o + 1] = rgba[i + 1];
    rgb[o + 2] = rgba[i + 2];
  }
  return createHash("sha256").update(rgb).digest("hex");
}

let inflate: Inflate;
beforeAll(async () => {
  inflate = await loadInflate();
});

describe("FrameDecoder", () => {
  it("paints exactly the pictures the Rust decoder paints, copies included", () => {
    const decoder = new FrameDecoder(inflate);
    expect(steps.some((s) => s.copies > 0)).toBe(true);
    for (const step of steps) {
      decoder.apply(frameOf(step));
      expect([decoder.width, decoder.height]).toEqual([step.width, step.height]);
      expect(rgbDigest(decoder)).toBe(step.rgb_sha256);
    }
  });

  it("asks for a key frame before any delta", () => {
    const decoder = new FrameDecoder(inflate);
    const delta = frameOf(steps[1]);
    expect(delta.keyFrame).toBe(false);
    expect(() => decoder.apply(delta)).toThrowError(
      expect.objectContaining({ kind: "need_key_frame" }),
    );
  });

  it("refuses malformed frames and leaves the picture as it was", () => {
    const decoder = new FrameDecoder(inflate);
    decoder.apply(frameOf(steps[0]));
    const before = rgbDigest(decoder);
    // A delta that repaints the whole picture with the key frame's own zstd rows.
    const rect = frameOf(steps[0]).rects[0];
    expect(rect.data.length > 0 && !rect.inStream && !rect.isFill).toBe(true);
    const good: VideoFrame = { ...frameOf(steps[1]), rects: [rect], stream: new Uint8Array() };
    const bad: VideoFrame[] = [
      { ...good, encoding: FrameEncoding.FRAME_ENCODING_VP9 },
      { ...good, rects: [{ ...rect, rect: { x: 310, y: 0, width: 32, height: 8 } }] },
      { ...good, rects: [{ ...rect, rect: { x: 0, y: 0, width: 0, height: 8 } }] },
      { ...good, rects: [{ ...rect, data: rect.data.subarray(0, rect.data.length - 3) }] },
      { ...good, rects: [{ ...rect, data: new Uint8Array([1, 2, 3, 4, 5]) }] },
      // A valid stream of the wrong size: the first rectangle's pixels for a smaller rectangle.
      { ...good, rects: [{ ...rect, rect: { ...rect.rect!, height: rect.rect!.height - 1 } }] },
      { ...good, rects: [{ rect: { x: 0, y: 0, width: 8, height: 8 }, data: new Uint8Array(), isCopy: true, srcX: 315, srcY: 0, isFill: false, fillBgr: 0, inStream: false }] },
      // A valid first rectangle followed by a bad one: nothing of the first may land either.
      { ...good, rects: [rect, { ...rect, rect: { x: 0, y: 190, width: 8, height: 8 } }] },
      { ...good, keyFrame: true, width: 20_000, height: 10 },
    ];
    for (const frame of bad) {
      expect(() => decoder.apply(frame)).toThrow(DecodeError);
      expect(rgbDigest(decoder)).toBe(before);
    }
  });

  it("refuses a pixel stream part that is corrupt or of the wrong length, then waits for a key frame", () => {
    const streamed = steps.map((step, i) => ({ i, frame: frameOf(step) })).find(({ frame }) => !frame.keyFrame && frame.stream.length > 0);
    expect(streamed, "the fixture has a delta with a stream part").toBeDefined();
    const { i, frame } = streamed!;
    const ready = () => {
      const decoder = new FrameDecoder(inflate);
      for (const step of steps.slice(0, i)) decoder.apply(frameOf(step));
      return decoder;
    };
    const inStream = frame.rects.filter((r) => r.inStream);
    const shorter = frame.rects.map((r) => (r === inStream[0] ? { ...r, rect: { ...r.rect!, height: r.rect!.height - 1 } } : r));
    const bad: VideoFrame[] = [
      // Cut into the rows, not only the sync-flush marker at the end (without which the rows are
      // still whole: the next part would then be the one refused).
      { ...frame, stream: frame.stream.subarray(0, frame.stream.length - 8) },
      { ...frame, stream: Uint8Array.from(frame.stream, (b, k) => (k === 3 ? b ^ 0x5a : b)) },
      { ...frame, rects: shorter },
      { ...frame, rects: frame.rects.filter((r) => !r.inStream) },
    ];
    for (const b of bad) {
      const decoder = ready();
      const before = rgbDigest(decoder);
      expect(() => decoder.apply(b)).toThrow(DecodeError);
      expect(rgbDigest(decoder)).toBe(before);
      // The good part now has no history to stand on: refused until a key frame.
      expect(() => decoder.apply(frame)).toThrowError(expect.objectContaining({ kind: "need_key_frame" }));
    }
    const decoder = ready();
    decoder.apply(frame);
    expect(rgbDigest(decoder)).toBe(steps[i].rgb_sha256);
  });

  it("never throws anything but a DecodeError on random bytes", () => {
    const decoder = new FrameDecoder(inflate);
    decoder.apply(frameOf(steps[0]));
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 300; i++) {
      const data = Uint8Array.from({ length: 1 + (i % 64) }, random);
      const frame: VideoFrame = {
        ...frameOf(steps[1]),
        rects: [{ rect: { x: 0, y: 0, width: 4, height: 4 }, data, isCopy: false, srcX: 0, srcY: 0, isFill: false, fillBgr: 0, inStream: i % 2 === 0 }],
        stream: i % 2 === 0 ? data : new Uint8Array(),
      };
      expect(() => decoder.apply(frame)).toThrow(DecodeError);
    }
  });
});
