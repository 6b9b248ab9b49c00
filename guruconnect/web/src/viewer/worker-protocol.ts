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

/** A region of one colour, for `fillRect`: no bitmap to make or copy. */
export interface Fill {
  x: number;
  y: number;
  width: number;
  height: number;
  /** CSS colour. */
  colour: string;
}

export type FromWorker =
  | ({ type: "decoded"; tiles: Tile[]; fills: Fill[] } & Omit<Decoded, "painted">)
  | { type: "failed"; reason: string };
