// The messages between the viewer page and its decode worker.
import type { VideoFrame } from "../protocol/wire";
import type { Decoded } from "./pipeline";

export type ToWorker = { type: "frame"; frame: VideoFrame; display: string } | { type: "reset" };

/** A painted region as a bitmap, ready for `drawImage` at (x, y). */
export interface Tile {
  x: number;
  y: number;
  bitmap: ImageBitmap;
}

export type FromWorker =
  | ({ type: "decoded"; tiles: Tile[] } & Omit<Decoded, "painted">)
  | { type: "failed"; reason: string };
