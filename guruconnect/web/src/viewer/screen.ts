// What the technician sees: the remote display on a canvas (only the regions a frame changed
// are drawn, as bitmaps the decode worker made), the remote cursor on an overlay canvas (so
// sampling the picture never sees it), fit-to-window or 1:1 scaling, and the mapping from page
// coordinates to remote pixels.
import type { CursorPosition, CursorShape } from "../protocol/wire";
import type { Decoded } from "./frame-worker";

export type ScaleMode = "fit" | "actual";

export class Screen {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly cursorCtx: CanvasRenderingContext2D;
  private displayId = "";
  width = 0;
  height = 0;
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

  get display(): string {
    return this.displayId;
  }

  /** Draws what the decode worker painted (fills, then bitmaps); the bitmaps are spent after. */
  paint(decoded: Decoded): void {
    if (decoded.tiles.length === 0 && decoded.fills.length === 0) return;
    this.displayId = decoded.display;
    if (decoded.width !== this.width || decoded.height !== this.height) this.resize(decoded.width, decoded.height);
    // Fills first: a bitmap overlapping one was cut from the finished picture, so it wins.
    for (const fill of decoded.fills) {
      this.ctx.fillStyle = fill.colour;
      this.ctx.fillRect(fill.x, fill.y, fill.width, fill.height);
    }
    for (const tile of decoded.tiles) {
      this.ctx.drawImage(tile.bitmap, tile.x, tile.y);
      tile.bitmap.close();
    }
  }

  private resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    for (const c of [this.canvas, this.cursorCanvas]) {
      c.width = width;
      c.height = height;
    }
    this.layout();
    this.drawCursor();
  }

  /** Sizes both canvases for the scale mode (CSS pixels; the bitmaps stay at remote size). */
  layout(): void {
    const { width, height } = this;
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
    const { width, height } = this;
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

}
