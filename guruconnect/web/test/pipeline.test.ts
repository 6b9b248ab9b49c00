// The decode worker's rules, with frames the Rust encoder made: deltas only after a key frame
// and without gaps, frames of other displays ignored, and a reset that asks for a key frame.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { FrameDecoder } from "../src/codec/decoder";
import { type Inflate, loadInflate } from "../src/codec/zstd";
import { decode, type VideoFrame } from "../src/protocol/wire";
import { FramePipeline } from "../src/viewer/pipeline";

const steps: { envelope_hex: string }[] = JSON.parse(readFileSync(new URL("./fixtures/frames.json", import.meta.url), "utf8")).steps;

function frame(i: number, sequence: bigint): VideoFrame {
  const payload = decode(Buffer.from(steps[i].envelope_hex, "hex"));
  if (payload?.$case !== "videoFrame") throw new Error("fixture holds a VideoFrame");
  return { ...payload.value, sequence };
}

let inflate: Inflate;
beforeAll(async () => {
  inflate = await loadInflate();
});

describe("FramePipeline", () => {
  it("paints a key frame, then deltas in sequence", () => {
    const pipeline = new FramePipeline(new FrameDecoder(inflate));
    const key = frame(0, 1n);
    expect(key.keyFrame).toBe(true);
    const first = pipeline.apply(key, key.displayId);
    expect(first).toMatchObject({ needKeyFrame: false, resized: true, key: true, sequence: 1n });
    expect(first.painted.length).toBeGreaterThan(0);
    const delta = pipeline.apply(frame(1, 2n), key.displayId);
    expect(delta).toMatchObject({ needKeyFrame: false, resized: false, key: false });
    expect(delta.painted.length).toBeGreaterThan(0);
  });

  it("asks for a key frame on a delta first, after a gap, and after a reset", () => {
    const pipeline = new FramePipeline(new FrameDecoder(inflate));
    const display = frame(0, 1n).displayId;
    expect(pipeline.apply(frame(1, 1n), display)).toMatchObject({ needKeyFrame: true, painted: [] });
    pipeline.apply(frame(0, 2n), display);
    expect(pipeline.apply(frame(1, 4n), display)).toMatchObject({ needKeyFrame: true, painted: [] });
    // Still waiting for the key frame: the next delta in sequence does not help.
    expect(pipeline.apply(frame(1, 5n), display).needKeyFrame).toBe(true);
    pipeline.apply(frame(0, 6n), display);
    pipeline.reset();
    expect(pipeline.apply(frame(1, 7n), display).needKeyFrame).toBe(true);
  });

  it("ignores frames of a display it does not show", () => {
    const pipeline = new FramePipeline(new FrameDecoder(inflate));
    const key = frame(0, 1n);
    expect(pipeline.apply(key, "another display")).toMatchObject({ needKeyFrame: false, painted: [] });
    expect(pipeline.decoder.width).toBe(0);
  });

  it("asks for a key frame when a frame does not decode, leaving the picture as it was", () => {
    const pipeline = new FramePipeline(new FrameDecoder(inflate));
    const key = frame(0, 1n);
    pipeline.apply(key, key.displayId);
    const before = pipeline.decoder.rgba.slice();
    const good = frame(1, 2n);
    const junk = { data: new Uint8Array([1, 2, 3]), isCopy: false, isFill: false, inStream: false };
    const corrupt = { ...good, rects: good.rects.map((r) => ({ ...r, ...junk })), stream: new Uint8Array() };
    expect(pipeline.apply(corrupt, key.displayId)).toMatchObject({ needKeyFrame: true, painted: [] });
    expect(pipeline.decoder.rgba).toEqual(before);
    expect(pipeline.apply(frame(1, 3n), key.displayId).needKeyFrame).toBe(true);
  });
});
