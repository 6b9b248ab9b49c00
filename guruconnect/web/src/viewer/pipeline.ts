// What the decode worker does with each frame, kept free of worker and DOM plumbing so it is
// tested in Node: frames of the shown display only, deltas only after a key frame and without
// gaps, and a picture that a refused frame leaves as it was.
import { DecodeError, FrameDecoder, type Painted } from "../codec/decoder";
import type { VideoFrame } from "../protocol/wire";

export interface Decoded {
  sequence: bigint;
  display: string;
  key: boolean;
  painted: Painted[];
  decodeMs: number;
  /** Set when the viewer needs a key frame (gap, joined mid-stream, new display, bad frame). */
  needKeyFrame: boolean;
  resized: boolean;
  width: number;
  height: number;
}

export class FramePipeline {
  private displayId = "";
  private lastSequence = -1n;
  private waitingForKey = true;

  constructor(readonly decoder: FrameDecoder) {}

  /** Applies a frame of `display`; frames of other displays change nothing. */
  apply(frame: VideoFrame, display: string): Decoded {
    const result: Decoded = {
      sequence: frame.sequence,
      display: this.displayId,
      key: frame.keyFrame,
      painted: [],
      decodeMs: 0,
      needKeyFrame: false,
      resized: false,
      width: this.decoder.width,
      height: this.decoder.height,
    };
    if (frame.displayId !== display) return result;
    const switched = frame.displayId !== this.displayId;
    const gap = !switched && frame.sequence !== this.lastSequence + 1n;
    if (!frame.keyFrame && (switched || gap || this.waitingForKey)) {
      this.waitingForKey = true;
      return { ...result, needKeyFrame: true };
    }
    const started = performance.now();
    try {
      result.painted = this.decoder.apply(frame);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.waitingForKey = true;
      return { ...result, needKeyFrame: true };
    }
    this.displayId = frame.displayId;
    this.lastSequence = frame.sequence;
    this.waitingForKey = false;
    return {
      ...result,
      display: this.displayId,
      decodeMs: performance.now() - started,
      resized: result.width !== this.decoder.width || result.height !== this.decoder.height,
      width: this.decoder.width,
      height: this.decoder.height,
    };
  }

  /** Forget the picture: the next frame must be a key frame (display switch, reconnect). */
  reset(): void {
    this.waitingForKey = true;
    this.lastSequence = -1n;
  }
}
