// What both system specs check of a viewer: its canvas shows exactly what the X server shows.
import { expect, type Frame, type Page } from "@playwright/test";
import type { XwdImage } from "../../guruconnect/web/e2e/xwd";

/** Waits until `viewer()` (a framed viewer, or GuruConnect's own viewer page) paints the
 * desktop `screenshot()` reads, compared on a grid of points. */
export async function expectViewerShowsDesktop(viewer: () => Frame | Page | null, screenshot: () => XwdImage) {
  await expect
    .poll(
      async () => {
        const frame = viewer();
        if (!frame) return "no viewer yet";
        const screen = screenshot();
        const points: [number, number][] = [];
        for (let y = 5; y < screen.height; y += 53) for (let x = 7; x < screen.width; x += 61) points.push([x, y]);
        const got = await frame.evaluate((pts) => {
          const c = document.getElementById("screen") as HTMLCanvasElement;
          if (c.width === 0) return null;
          const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
          return { w: c.width, px: pts.map(([x, y]) => [...data.slice((y * c.width + x) * 4, (y * c.width + x) * 4 + 3)]) };
        }, points);
        if (!got) return "no picture yet";
        if (got.w !== screen.width) return `canvas ${got.w} wide`;
        const bad = points.filter(([x, y], i) => screen.rgb(x, y).join() !== got.px[i].join());
        return bad.length === 0 ? "match" : `${bad.length} of ${points.length} pixels differ`;
      },
      { timeout: 60_000, intervals: [500] },
    )
    .toBe("match");
}
