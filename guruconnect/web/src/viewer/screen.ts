// What the technician sees: the remote display on a canvas (only changed rectangles are
// repainted), the remote cursor on an overlay canvas (so sampling the picture never sees it),
// fit-to-window or 1:1 scaling, and the mapping from page coordinates to remote pixels.
import { DecodeError, FrameDecoder, type Rect } from "../codec/decoder";
import type { CursorPosition, CursorShape, VideoFrame } from "../protocol/wire";

export type ScaleMode = "fit" | "actual";

export interface FrameResult {
  painted: Rect[];
  decodeMs: number;
  /** Set when the viewer needs a key frame (gap, joined mid-stream, new display, bad frame). */
  needKeyFrame: boolean;
  resized: boolean;
}

export class Screen {
  readonly decoder = new FrameDecoder();
  private readonly ctx: CanvasRenderingContext2D;
  private readonly cursorCtx: CanvasRenderingContext2D;
  private image: ImageData | null = null;
  private displayId = "";
  private lastSequence = -1n;
  private waitingForKey = true;
  private shapes = new Map<bigint, { bitmap: HTMLCanvasElement; hotX: number; hotY: number }>();
  private cursor: CursorPosition | null = null;
  mode: ScaleMode = "fit";

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly cursorCanvas: HTMLCanvasElement,
    private readonly container: HTMLElement,
  ) {
    this.ctx = canvas.getContext("2d", { alpha: false })!;
    this.cursorCtx = cursorCanvas.getContext("2d")!;
  }

  get width(): number {
    return this.decoder.width;
  }
  get height(): number {
    return this.decoder.height;
  }
  get display(): string {
    return this.displayId;
  }

  /** Applies a frame of `display`; frames of other displays are ignored. */
  applyFrame(frame: VideoFrame, display: string): FrameResult {
    const none = { painted: [], decodeMs: 0, needKeyFrame: false, resized: false };
    if (frame.displayId !== display) return none;
    const switched = frame.displayId !== this.displayId;
    const gap = !switched && frame.sequence !== this.lastSequence + 1n;
    if (!frame.keyFrame && (switched || gap || this.waitingForKey)) {
      // The caller asks the agent for a key frame (throttled); deltas until then are useless.
      this.waitingForKey = true;
      return { ...none, needKeyFrame: true };
    }
    const started = performance.now();
    const before = [this.decoder.width, this.decoder.height];
    let painted: Rect[];
    try {
      painted = this.decoder.apply(frame);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.waitingForKey = true;
      return { ...none, needKeyFrame: true };
    }
    this.displayId = frame.displayId;
    this.lastSequence = frame.sequence;
    this.waitingForKey = false;
    const resized = before[0] !== this.decoder.width || before[1] !== this.decoder.height;
    if (resized || this.image === null || this.image.data !== this.decoder.rgba) {
      this.resize();
    }
    for (const r of painted) {
      this.ctx.putImageData(this.image!, 0, 0, r.x, r.y, r.width, r.height);
    }
    return { painted, decodeMs: performance.now() - started, needKeyFrame: false, resized };
  }

  private resize(): void {
    const { width, height } = this.decoder;
    this.image = new ImageData(this.decoder.rgba as Uint8ClampedArray<ArrayBuffer>, width, height);
    for (const c of [this.canvas, this.cursorCanvas]) {
      c.width = width;
      c.height = height;
    }
    this.layout();
    this.drawCursor();
  }

  /** Sizes both canvases for the scale mode (CSS pixels; the bitmaps stay at remote size). */
  layout(): void {
    const { width, height } = this.decoder;
    if (width === 0) return;
    let scale = 1;
    if (this.mode === "fit") {
      const box = this.container.getBoundingClientRect();
      scale = Math.min(box.width / width, box.height / height) || 1;
    }
    for (const c of [this.canvas, this.cursorCanvas]) {
      c.style.width = `${Math.floor(width * scale)}px`;
      c.style.height = `${Math.floor(height * scale)}px`;
    }
    this.container.classList.toggle("actual-size", this.mode === "actual");
  }

  /** Page coordinates → remote display pixels, clamped into the display. */
  toRemote(clientX: number, clientY: number): { x: number; y: number } | null {
    const { width, height } = this.decoder;
    if (width === 0) return null;
    const box = this.canvas.getBoundingClientRect();
    const x = Math.floor(((clientX - box.left) * width) / box.width);
    const y = Math.floor(((clientY - box.top) * height) / box.height);
    return {
      x: Math.min(Math.max(x, 0), width - 1),
      y: Math.min(Math.max(y, 0), height - 1),
    };
  }

  setCursorShape(shape: CursorShape): void {
    if (shape.bgra.length !== shape.width * shape.height * 4 || shape.width === 0) return;
    const bitmap = document.createElement("canvas");
    bitmap.width = shape.width;
    bitmap.height = shape.height;
    const rgba = new Uint8ClampedArray(shape.bgra.length);
    for (let i = 0; i < rgba.length; i += 4) {
      rgba[i] = shape.bgra[i + 2];
      rgba[i + 1] = shape.bgra[i + 1];
      rgba[i + 2] = shape.bgra[i];
      rgba[i + 3] = shape.bgra[i + 3];
    }
    bitmap.getContext("2d")!.putImageData(new ImageData(rgba, shape.width, shape.height), 0, 0);
    this.shapes.set(shape.shapeId, { bitmap, hotX: shape.hotspotX, hotY: shape.hotspotY });
    if (this.shapes.size > 64) this.shapes.delete(this.shapes.keys().next().value!);
    this.drawCursor();
  }

  setCursorPosition(position: CursorPosition): void {
    this.cursor = position;
    this.drawCursor();
  }

  private drawCursor(): void {
    const ctx = this.cursorCtx;
    ctx.clearRect(0, 0, this.cursorCanvas.width, this.cursorCanvas.height);
    const c = this.cursor;
    if (!c || !c.visible || c.displayId !== this.displayId) return;
    const shape = this.shapes.get(c.shapeId);
    if (shape) ctx.drawImage(shape.bitmap, c.x - shape.hotX, c.y - shape.hotY);
  }

  /** Forget the picture: the next frame must be a key frame (display switch, reconnect). */
  reset(): void {
    this.waitingForKey = true;
    this.lastSequence = -1n;
  }
}
