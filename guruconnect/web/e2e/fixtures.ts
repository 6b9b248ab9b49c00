// Shared fixtures: one real stack per worker, and helpers to read the viewer's canvas.
import { test as base, expect, type Frame, type Page } from "@playwright/test";
import { startStack, type Stack } from "./stack";
import type { XwdImage } from "./xwd";

export const test = base.extend<object, { stack: Stack }>({
  stack: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const stack = await startStack();
      await use(stack);
      await stack.stop();
    },
    { scope: "worker", timeout: 90_000 },
  ],
});
export { expect };

/** Points spread over a display, in display pixels. */
export function grid(width: number, height: number, step = 37): [number, number][] {
  const points: [number, number][] = [];
  for (let y = 3; y < height; y += step) for (let x = 5; x < width; x += step) points.push([x, y]);
  return points;
}

/** RGB of canvas pixels at `points`. */
export async function canvasPixels(page: Page | Frame, points: [number, number][]): Promise<number[][]> {
  return page.evaluate((pts) => {
    const canvas = document.getElementById("screen") as HTMLCanvasElement;
    const ctx = canvas.getContext("2d")!;
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    return pts.map(([x, y]) => {
      const i = (y * canvas.width + x) * 4;
      return [data[i], data[i + 1], data[i + 2]];
    });
  }, points);
}

export async function canvasSize(page: Page | Frame): Promise<[number, number]> {
  return page.evaluate(() => {
    const c = document.getElementById("screen") as HTMLCanvasElement;
    return [c.width, c.height] as [number, number];
  });
}

/**
 * Waits until the canvas shows what the X server shows for the display at `offsetX`: every
 * sampled pixel equal. Returns the number of points compared.
 */
export async function expectCanvasMatchesScreen(
  page: Page | Frame,
  stack: Stack,
  offsetX: number,
  size: [number, number],
): Promise<number> {
  const points = grid(size[0], size[1]);
  let mismatches: string[] = [];
  await expect
    .poll(
      async () => {
        if ((await canvasSize(page)).join() !== size.join()) return "canvas not yet at display size";
        const screen: XwdImage = stack.screenshot();
        const canvas = await canvasPixels(page, points);
        mismatches = points
          .map(([x, y], i) => ({ x, y, want: screen.rgb(x + offsetX, y), got: canvas[i] }))
          .filter((p) => p.want.join() !== p.got.join())
          .map((p) => `(${p.x},${p.y}) want ${p.want} got ${p.got}`);
        return mismatches.length === 0 ? "match" : `${mismatches.length} of ${points.length} differ: ${mismatches.slice(0, 3).join("; ")}`;
      },
      { timeout: 20_000, intervals: [250] },
    )
    .toBe("match");
  return points.length;
}
