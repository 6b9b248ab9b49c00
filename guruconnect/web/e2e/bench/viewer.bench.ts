// The viewer benchmark: decode time of full 1920×1080 key frames, bytes per second while
// typing, and input-to-photon latency (key sent → changed pixels painted on the canvas),
// measured in Debian's Chromium against the real server and agent on Xvfb. Also the size of
// what the embedded viewer loads. Prints a table for BENCHMARKS.md.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { expect, test } from "@playwright/test";
import { startStack } from "../stack";

type Metrics = {
  keysSentAt: number[];
  frames: { at: number; key: boolean; decodeMs: number; rects: number }[];
  bytesReceived: number;
};

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const fmt = (n: number) => n.toFixed(1);

test("viewer benchmark", async ({ page }) => {
  const stack = await startStack({ width: 1920, height: 1080, monitors: false });
  try {
    // A desktop full of text, like a terminal or an editor.
    stack.spawnX("xterm", ["-geometry", "320x83+0+0", "-e", "sh", "-c", "ls -lR /usr/share | head -90; exec cat > /dev/null"]);
    await new Promise((r) => setTimeout(r, 1500));
    const { sessionId, token } = await stack.viewerToken();
    await page.goto(`${stack.gcUrl}/viewer#${new URLSearchParams({ session: sessionId, token })}`);
    const metrics = () => page.evaluate(() => (window as unknown as { guruconnectMetrics: Metrics }).guruconnectMetrics);
    await expect.poll(async () => (await metrics()).frames.some((f) => f.key)).toBe(true);

    // Key frames: pause and resume; each new connection starts with a full picture.
    const keyDecode: number[] = [];
    const keyBytes: number[] = [];
    for (let i = 0; i < 12; i++) {
      await page.getByRole("button", { name: "Pause" }).click();
      const before = await metrics();
      await page.getByRole("button", { name: "Resume" }).click();
      await expect.poll(async () => (await metrics()).frames.filter((f) => f.key).length).toBeGreaterThan(before.frames.filter((f) => f.key).length);
      await page.waitForTimeout(300);
      const after = await metrics();
      const key = after.frames.filter((f) => f.key).at(-1)!;
      keyDecode.push(key.decodeMs);
      keyBytes.push(after.bytesReceived - before.bytesReceived);
    }

    // Typing: ~12 characters a second into the terminal for about 10 s.
    await page.locator("#surface").click({ position: { x: 400, y: 300 } });
    await page.waitForTimeout(500);
    const start = await metrics();
    const startedAt = Date.now();
    const text = "the quick brown fox jumps over the lazy dog ".repeat(3);
    for (const ch of text) {
      await page.keyboard.press(ch === " " ? "Space" : `Key${ch.toUpperCase()}`);
      await page.waitForTimeout(80);
    }
    await page.waitForTimeout(500);
    const end = await metrics();
    const secs = (Date.now() - startedAt) / 1000;
    const typingFrames = end.frames.slice(start.frames.length);
    const latencies = end.keysSentAt
      .slice(start.keysSentAt.length)
      .map((t) => typingFrames.find((f) => f.at > t)?.at)
      .map((at, i) => (at === undefined ? NaN : at - end.keysSentAt[start.keysSentAt.length + i]))
      .filter((x) => Number.isFinite(x));

    const assets = join(import.meta.dirname, "../../dist/assets");
    const viewerJs = readdirSync(assets).filter((f) => f.startsWith("viewer-") && f.endsWith(".js"));
    const js = readFileSync(join(assets, viewerJs[0]));

    const rows = [
      ["Key frame 1920×1080, decode + paint (median / p90)", `${fmt(quantile(keyDecode, 0.5))} / ${fmt(quantile(keyDecode, 0.9))} ms`],
      ["Key frame 1920×1080, bytes on the wire (median)", `${fmt(quantile(keyBytes, 0.5) / 1024)} KiB`],
      ["Typing, ~12 chars/s: bytes received per second", `${fmt((end.bytesReceived - start.bytesReceived) / 1024 / secs)} KiB/s`],
      ["Typing: frames painted per second", fmt(typingFrames.length / secs)],
      ["Typing: delta decode + paint (median)", `${fmt(quantile(typingFrames.map((f) => f.decodeMs), 0.5))} ms`],
      ["Input-to-photon, key sent → pixels painted (median / p90)", `${fmt(quantile(latencies, 0.5))} / ${fmt(quantile(latencies, 0.9))} ms (${latencies.length} keys)`],
      ["Embedded viewer JavaScript (minified / gzip)", `${fmt(js.length / 1024)} / ${fmt(gzipSync(js).length / 1024)} KiB`],
    ];
    console.log(`\n| Measure | Value |\n| --- | --- |\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join("\n")}\n`);
    expect(latencies.length).toBeGreaterThan(text.length / 2);
  } finally {
    await stack.stop();
  }
});
