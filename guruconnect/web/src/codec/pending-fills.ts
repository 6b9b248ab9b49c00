// Fills the decoder has accepted but not yet written into its picture. A screen that changes
// colour as a whole arrives as a few large one-colour rectangles a frame; the page paints them
// with `fillRect` and never reads them back, so writing 8 MB of them into the decoder's own
// copy every frame was the viewer's largest cost on such screens. They wait here until
// something needs those pixels (a copy's source, pixels drawn over them, a bitmap cut there),
// and a later fill that covers one makes it unnecessary altogether.
import type { Rect } from "./decoder";

interface Fill {
  rect: Rect;
  /** Little-endian RGBA word (0xAABBGGRR). */
  word: number;
}

/**
 * Beyond this many waiting fills they are all written: fills that neither cover one another nor
 * are ever read (a hostile agent can send thousands a frame) must not grow the list, and the
 * cost of each `add`, without bound.
 */
export const MAX_PENDING_FILLS = 256;

/** The picture is its words with these fills painted over them, oldest first. */
export class PendingFills {
  private fills: Fill[] = [];

  get length(): number {
    return this.fills.length;
  }

  /** Queues a fill (older ones it covers entirely can never be seen again); when too many wait,
   * writes them all into `picture` first. */
  add(rect: Rect, word: number, picture: Uint32Array, width: number): void {
    this.fills = this.fills.filter((f) => !covers(rect, f.rect));
    if (this.fills.length >= MAX_PENDING_FILLS) this.settle(picture, width);
    this.fills.push({ rect, word });
  }

  /** Forgets every fill (a new picture replaced the one they were for). */
  clear(): void {
    this.fills = [];
  }

  /**
   * Writes into `picture` every fill that touches one of `regions`, and every older fill
   * (order matters where fills overlap): afterwards those regions hold their final pixels.
   * Without `regions`, writes them all.
   */
  settle(picture: Uint32Array, width: number, regions?: Rect[]): void {
    const last = regions ? this.lastTouching(regions) : this.fills.length - 1;
    if (last < 0) return;
    for (const { rect, word } of this.fills.slice(0, last + 1)) {
      for (let row = 0; row < rect.height; row++) {
        const start = (rect.y + row) * width + rect.x;
        picture.fill(word, start, start + rect.width);
      }
    }
    this.fills = this.fills.slice(last + 1);
  }

  private lastTouching(regions: Rect[]): number {
    for (let i = this.fills.length - 1; i >= 0; i--) {
      if (regions.some((r) => intersects(r, this.fills[i].rect))) return i;
    }
    return -1;
  }
}

function covers(outer: Rect, inner: Rect): boolean {
  return (
    outer.x <= inner.x &&
    outer.y <= inner.y &&
    outer.x + outer.width >= inner.x + inner.width &&
    outer.y + outer.height >= inner.y + inner.height
  );
}

function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
