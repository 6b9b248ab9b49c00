// The page's side of the decode worker: frames go in (their bytes moved, not copied), painted
// regions come back in order.
import type { VideoFrame } from "../protocol/wire";
import type { FromWorker, ToWorker } from "./worker-protocol";

export type Decoded = Extract<FromWorker, { type: "decoded" }>;

export class FrameWorker {
  private readonly worker = new Worker(new URL("./decode-worker.ts", import.meta.url), { type: "module" });

  constructor(onDecoded: (result: Decoded) => void, onFailed: (reason: string) => void) {
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const reply = event.data;
      if (reply.type === "decoded") onDecoded(reply);
      else onFailed(reply.reason);
    };
    this.worker.onerror = (event) => onFailed(event.message || "the decoder could not start");
  }

  /** Decodes `frame` if it belongs to `display`. The frame's buffers move to the worker. */
  submit(frame: VideoFrame, display: string): void {
    const message: ToWorker = { type: "frame", frame, display };
    const buffers = new Set(frame.rects.map((r) => r.data.buffer as ArrayBuffer));
    this.worker.postMessage(message, [...buffers]);
  }

  /** The next frame must be a key frame (display switch, reconnect). */
  reset(): void {
    this.worker.postMessage({ type: "reset" } satisfies ToWorker);
  }
}
