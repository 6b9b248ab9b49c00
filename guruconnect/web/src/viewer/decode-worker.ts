// The decode worker: zstd (WebAssembly) and the BGR → RGBA conversion run here, off the page's
// main thread, so input and painting stay responsive under full motion. The worker keeps the
// whole picture (copies read it) and hands the page only the regions a frame changed: as
// bitmaps it draws as they are, and regions of one colour as a colour to fill (which the
// decoder writes into its own picture only when something needs those pixels).
/// <reference lib="webworker" />
import { FrameDecoder, type Painted, type Rect } from "../codec/decoder";
import { loadInflate } from "../codec/zstd";
import { FramePipeline } from "./pipeline";
import type { Fill, FromWorker, Tile, ToWorker } from "./worker-protocol";

/** Beyond this many regions one bitmap of their bounding box is cheaper to make and draw. */
const MAX_TILES = 8;

const scope = self as unknown as DedicatedWorkerGlobalScope;
const pipeline = loadInflate().then((inflate) => new FramePipeline(new FrameDecoder(inflate)));
let queue = Promise.resolve();

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  // One at a time, in order: each frame builds on the picture the previous one left.
  queue = queue.then(() => handle(message)).catch((e: unknown) => fail(e));
};

async function handle(message: ToWorker): Promise<void> {
  const frames = await pipeline;
  if (message.type === "reset") {
    frames.reset();
    return;
  }
  const started = performance.now();
  const { painted, ...decoded } = frames.apply(message.frame, message.display);
  const fills = painted.filter((r) => r.fill !== undefined).map(fillOf);
  const tiles = await tilesOf(
    frames.decoder,
    painted.filter((r) => r.fill === undefined),
  );
  // Decompression, colour conversion and cutting the bitmaps: all the work a frame costs before
  // the page draws it.
  const decodeMs = performance.now() - started;
  const reply: FromWorker = { type: "decoded", ...decoded, decodeMs, tiles, fills };
  scope.postMessage(
    reply,
    tiles.map((t) => t.bitmap),
  );
}

function fail(e: unknown): void {
  const reply: FromWorker = { type: "failed", reason: e instanceof Error ? e.message : String(e) };
  scope.postMessage(reply);
}

/** Bitmaps of the regions painted, cut from the picture as it is now. */
async function tilesOf(decoder: FrameDecoder, painted: Rect[]): Promise<Tile[]> {
  if (painted.length === 0) return [];
  const regions = painted.length > MAX_TILES ? [boundingBox(painted)] : painted;
  const rgba = decoder.rgbaWithin(regions) as Uint8ClampedArray<ArrayBuffer>;
  const picture = new ImageData(rgba, decoder.width, decoder.height);
  return Promise.all(
    regions.map(async (r) => ({ x: r.x, y: r.y, bitmap: await createImageBitmap(picture, r.x, r.y, r.width, r.height) })),
  );
}

/** A fill as the page draws it: a full-screen colour change costs a `fillRect`, not 8 MB. */
function fillOf(r: Painted): Fill {
  const word = r.fill!;
  const colour = `rgb(${word & 0xff},${(word >>> 8) & 0xff},${(word >>> 16) & 0xff})`;
  return { x: r.x, y: r.y, width: r.width, height: r.height, colour };
}

function boundingBox(rects: Rect[]): Rect {
  const x = Math.min(...rects.map((r) => r.x));
  const y = Math.min(...rects.map((r) => r.y));
  const right = Math.max(...rects.map((r) => r.x + r.width));
  const bottom = Math.max(...rects.map((r) => r.y + r.height));
  return { x, y, width: right - x, height: bottom - y };
}
