// GuruConnect side by side with x11vnc + noVNC, in one run, on one desktop: the real agent and
// relay with the real viewer, and Debian's x11vnc behind websockify with noVNC (npm), both in
// the same headless Chromium at actual size on a 1920×1080 Xvfb with openbox and an xterm in
// DejaVu Sans Mono 11. The same workloads in turn for each:
// - typing 500 keys into the xterm, and 300 lines scrolling through it: bytes received;
// - an xterm full of text moved across the screen in 40 steps of 20 pixels, then resized in 40
//   steps (xdotool, 50 ms apart): bytes received for each;
// - 60 keys 150 ms apart: key pressed in the page -> first changed pixels in the xterm's text
//   on the canvas, sampled at every animation frame (so within one frame, ~16 ms, for both);
// - full-screen motion (examples/motion: a moving gradient at 30 fps with the time it was drawn
//   written into its corner) and full-screen solid colours at 30 fps: frames painted a second,
//   and display lag (when the page showed a picture minus when it was drawn), read back from
//   the canvas at every animation frame;
// - CPU of the server side and of the browser over each workload (/proc), and over 10 s of a
//   still screen, with the bytes received meanwhile.
// noVNC runs as configured by default (Tight with JPEG at quality 6) and lossless (the page
// drops the quality-level pseudo-encodings from what it asks for, so Tight sends no JPEG).
// BENCH_RUNS=n repeats the whole sequence n times (each system in turn within a run) and prints
// the median of each measure. Prints a table with ratios; nothing is asserted against a time.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, type CDPSession, expect, type Page, test } from "@playwright/test";
import { freePort, stopChild, until } from "../harness";
import { type Stack, startStack } from "../stack";

const MOTION = resolve(import.meta.dirname, "../../../../target/debug/examples/motion");
const NOVNC = resolve(import.meta.dirname, "../../node_modules/@novnc/novnc");
const VIEWPORT = { width: 1940, height: 1180 };
const TEXT = "the quick brown fox jumps over the lazy dog ";

interface System {
  name: string;
  /** Opens the page, connected and showing the desktop at actual size; returns its canvas. */
  open(page: Page): Promise<string>;
  /** Processes whose CPU counts as this system's server side. */
  serverProcesses: string[];
}

interface Measured {
  keyToVisible: number[];
  typingBytes: number;
  scrollBytes: number;
  moveBytes: number;
  resizeBytes: number;
  idle: Idle;
  motion: Motion;
  solid: Motion;
}

interface Idle {
  bytes: number;
  serverCpu: number;
  browserCpu: number;
}

interface Motion {
  fps: number;
  lagP50: number;
  lagP90: number;
  bytes: number;
  serverCpu: number;
  browserCpu: number;
}

test("GuruConnect against x11vnc + noVNC", async ({ browser }) => {
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 1));
  test.setTimeout(600_000 * runs);
  expect(existsSync(MOTION), "build it: cargo build -p guruconnect-agent --example motion").toBe(true);
  for (const tool of ["x11vnc", "websockify", "openbox"]) {
    expect(which(tool), `install it: scripts/bench-deps.sh (${tool})`).toBe(true);
  }
  const stack = await startStack({ width: 1920, height: 1080, monitors: false });
  const peer: ChildProcess[] = [];
  try {
    stack.spawnX("openbox", []);
    stack.x("xsetroot", ["-solid", "#3a6ea5"]);
    const vncUrl = await startNoVnc(stack, peer);
    const systems: System[] = [
      {
        name: "GuruConnect",
        serverProcesses: ["guruconnect-ser", "guruconnect-age"],
        open: async (page) => {
          const { sessionId, token } = await stack.viewerToken();
          await page.goto(`${stack.gcUrl}/viewer#${new URLSearchParams({ session: sessionId, token })}`);
          await page.getByRole("button", { name: "Actual size" }).click();
          return "#screen";
        },
      },
      ...[
        { mode: "default", lossless: false },
        { mode: "lossless", lossless: true },
      ].map(({ mode, lossless }) => ({
        name: `x11vnc + noVNC (${mode})`,
        serverProcesses: ["x11vnc", "websockify"],
        open: async (page: Page) => {
          await page.goto(`${vncUrl}/peer.html${lossless ? "?lossless=1" : ""}`);
          await page.waitForFunction(() => (window as unknown as { connected?: boolean }).connected === true);
          return "#screen canvas";
        },
      })),
    ];
    const results: [string, Measured[]][] = systems.map((system) => [system.name, []]);
    for (let run = 0; run < runs; run++) {
      for (const [i, system] of systems.entries()) results[i][1].push(await measure(browser, stack, system));
    }
    console.log(table(results));
  } finally {
    await Promise.all(peer.map(stopChild));
    await stack.stop();
  }
});

async function measure(browser: Browser, stack: Stack, system: System): Promise<Measured> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const cdp = await page.context().newCDPSession(page);
  const bytes = await countWebSocketBytes(cdp);
  const canvas = await system.open(page);
  await expect.poll(() => page.evaluate((s) => (document.querySelector(s) as HTMLCanvasElement | null)?.width ?? 0, canvas)).toBe(1920);
  await page.waitForTimeout(1500);

  // Typing: a fresh xterm, focused by a click through the viewer, 500 keys.
  const typing = stack.spawnX("xterm", ["-fa", "DejaVu Sans Mono", "-fs", "11", "-geometry", "120x40+60+60", "-e", "sh", "-c", "cat > /dev/null"]);
  await page.waitForTimeout(1500);
  await clickRemote(page, canvas, 400, 300);
  await page.waitForTimeout(500);
  const typedFrom = bytes.total;
  for (let i = 0; i < 500; i++) {
    const ch = TEXT[i % TEXT.length];
    await page.keyboard.press(ch === " " ? "Space" : `Key${ch.toUpperCase()}`);
    await page.waitForTimeout(25);
  }
  await page.waitForTimeout(1000);
  const typingBytes = bytes.total - typedFrom;
  const keyToVisible = await latencies(page, canvas);
  await stopChild(typing);

  // Scrolling: 300 lines printed into an xterm, 50 a second.
  const scrollFrom = bytes.total;
  const lines = "i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo \"line $i: $(date +%N) the quick brown fox jumps over the lazy dog\"; sleep 0.02; done; sleep 600";
  const scrolling = stack.spawnX("xterm", ["-fa", "DejaVu Sans Mono", "-fs", "11", "-geometry", "120x40+60+60", "-e", "sh", "-c", lines]);
  await page.waitForTimeout(9000);
  const scrollBytes = bytes.total - scrollFrom;
  await stopChild(scrolling);
  await page.waitForTimeout(1000);

  const { moveBytes, resizeBytes } = await windowMoves(page, stack, bytes);
  const idle = await stillScreen(page, system, bytes);

  const motion = await animation(page, canvas, stack, system, bytes, []);
  await page.waitForTimeout(1000);
  const solid = await animation(page, canvas, stack, system, bytes, ["--solid"]);
  await page.close();
  return { keyToVisible, typingBytes, scrollBytes, moveBytes, resizeBytes, idle, motion, solid };
}

/** An xterm full of text dragged across the screen, then resized, a step every 50 ms. */
async function windowMoves(page: Page, stack: Stack, bytes: { total: number }): Promise<{ moveBytes: number; resizeBytes: number }> {
  const title = "gc-bench-window";
  const listing = "ls -l /usr/bin | head -40; sleep 600";
  const window = stack.spawnX("xterm", ["-T", title, "-fa", "DejaVu Sans Mono", "-fs", "11", "-geometry", "100x40+100+100", "-e", "sh", "-c", listing]);
  const id = stack.x("xdotool", ["search", "--sync", "--name", title]).trim().split("\n")[0];
  await page.waitForTimeout(1500);
  const steps = async (step: (i: number) => [string, string[]]) => {
    const from = bytes.total;
    for (let i = 1; i <= 40; i++) {
      stack.x(...step(i));
      await page.waitForTimeout(50);
    }
    await page.waitForTimeout(1000);
    return bytes.total - from;
  };
  const moveBytes = await steps((i) => ["xdotool", ["windowmove", id, String(100 + 20 * i), "100"]]);
  const resizeBytes = await steps((i) => ["xdotool", ["windowsize", id, String(700 + 15 * i), String(600 - 8 * i)]]);
  await stopChild(window);
  await page.waitForTimeout(1000);
  return { moveBytes, resizeBytes };
}

/** Ten seconds of a screen where nothing changes: what still travels, and what it costs. */
async function stillScreen(page: Page, system: System, bytes: { total: number }): Promise<Idle> {
  await page.waitForTimeout(2000);
  const from = bytes.total;
  const cpuBefore = [cpuSeconds(system.serverProcesses), cpuSeconds(BROWSER)];
  const started = Date.now();
  await page.waitForTimeout(10_000);
  const seconds = (Date.now() - started) / 1000;
  return {
    bytes: bytes.total - from,
    serverCpu: (cpuSeconds(system.serverProcesses) - cpuBefore[0]) / seconds,
    browserCpu: (cpuSeconds(BROWSER) - cpuBefore[1]) / seconds,
  };
}

/** Keys pressed slowly; for each, how long until the xterm's text area on the canvas changed. */
async function latencies(page: Page, canvas: string): Promise<number[]> {
  // The text area of the xterm at +60+60 (120×40 cells of about 7×15 pixels), first rows.
  await page.evaluate(startChangeProbe, { selector: canvas, x: 60, y: 60, width: 860, height: 120 });
  for (let i = 0; i < 60; i++) {
    const ch = TEXT[i % TEXT.length];
    await page.keyboard.press(ch === " " ? "Space" : `Key${ch.toUpperCase()}`);
    await page.waitForTimeout(150);
  }
  const { keys, changes } = await page.evaluate(() => {
    const probe = (window as unknown as { changeProbe: { running: boolean; keys: number[]; changes: number[] } }).changeProbe;
    probe.running = false;
    return probe;
  });
  return keys.map((at) => (changes.find((c) => c > at) ?? NaN) - at).filter((ms) => ms < 150);
}

/** In the page: key presses and the animation frames at which a canvas region changed. */
function startChangeProbe(area: { selector: string; x: number; y: number; width: number; height: number }): void {
  const probe = { running: true, keys: [] as number[], changes: [] as number[] };
  (window as unknown as { changeProbe: typeof probe }).changeProbe = probe;
  addEventListener("keydown", () => probe.keys.push(performance.now()), true);
  let last = "";
  const tick = () => {
    if (!probe.running) return;
    const ctx = (document.querySelector(area.selector) as HTMLCanvasElement | null)?.getContext("2d");
    if (ctx) {
      const data = ctx.getImageData(area.x, area.y, area.width, area.height).data;
      let hash = 0;
      for (let i = 0; i < data.length; i += 4) hash = (Math.imul(hash, 31) + data[i] + (data[i + 1] << 8) + (data[i + 2] << 16)) | 0;
      const now = String(hash);
      if (last !== "" && now !== last) probe.changes.push(performance.now());
      last = now;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/** Runs examples/motion for 10 s and reads the stamp back from the canvas at every frame. */
async function animation(page: Page, canvas: string, stack: Stack, system: System, bytes: { total: number }, args: string[]): Promise<Motion> {
  await page.evaluate(startProbe, canvas);
  const cpuBefore = [cpuSeconds(system.serverProcesses), cpuSeconds(BROWSER)];
  const from = bytes.total;
  const motion = stack.spawnX(MOTION, ["--seconds", "10", "--fps", "30", ...args]);
  const started = Date.now();
  await new Promise((done) => motion.once("exit", done));
  const seconds = (Date.now() - started) / 1000;
  const changes = await page.evaluate(() => {
    const probe = (window as unknown as { probe: { running: boolean; changes: [number, number][] } }).probe;
    probe.running = false;
    return probe.changes;
  });
  const lags = changes.map(([shownAt, drawnAt]) => shownAt - drawnAt);
  return {
    fps: changes.length / seconds,
    lagP50: quantile(lags, 0.5),
    lagP90: quantile(lags, 0.9),
    bytes: bytes.total - from,
    serverCpu: (cpuSeconds(system.serverProcesses) - cpuBefore[0]) / seconds,
    browserCpu: (cpuSeconds(BROWSER) - cpuBefore[1]) / seconds,
  };
}

/**
 * In the page: at every animation frame, reads the 48 stamp squares off the canvas; each new
 * stamp is a new picture shown, recorded with the time it was seen.
 */
function startProbe(selector: string): void {
  const probe = { running: true, changes: [] as [number, number][], last: -1 };
  (window as unknown as { probe: typeof probe }).probe = probe;
  const tick = () => {
    if (!probe.running) return;
    const canvas = document.querySelector(selector) as HTMLCanvasElement | null;
    const ctx = canvas?.getContext("2d");
    if (ctx) {
      const data = ctx.getImageData(0, 0, 48 * 16, 16).data;
      let stamp = 0;
      for (let bit = 0; bit < 48; bit++) stamp = stamp * 2 + (data[(8 * 48 * 16 + bit * 16 + 8) * 4] > 127 ? 1 : 0);
      if (stamp !== probe.last && stamp > 1.7e12 && stamp < 2.1e12) {
        probe.changes.push([Date.now(), stamp]);
        probe.last = stamp;
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

async function clickRemote(page: Page, canvas: string, x: number, y: number): Promise<void> {
  const box = (await page.locator(canvas).boundingBox())!;
  await page.mouse.click(box.x + x, box.y + y);
}

/** Bytes of every WebSocket message the page receives, as Chromium's network layer saw them. */
async function countWebSocketBytes(cdp: CDPSession): Promise<{ total: number }> {
  const counter = { total: 0 };
  await cdp.send("Network.enable");
  cdp.on("Network.webSocketFrameReceived", ({ response }) => {
    counter.total += response.opcode === 2 ? Buffer.from(response.payloadData, "base64").length : Buffer.byteLength(response.payloadData);
  });
  return counter;
}

/** x11vnc on the stack's display, websockify in front of it serving noVNC and a small page. */
async function startNoVnc(stack: Stack, children: ChildProcess[]): Promise<string> {
  const [vncPort, webPort] = [await freePort(), await freePort()];
  const x11vnc = spawn("x11vnc", ["-display", stack.display, "-rfbport", String(vncPort), "-localhost", "-shared", "-forever", "-nopw", "-quiet"], { stdio: "ignore" });
  children.push(x11vnc);
  const web = mkdtempSync(join(tmpdir(), "gc-peer-"));
  symlinkSync(NOVNC, join(web, "novnc"));
  writeFileSync(join(web, "peer.html"), PEER_PAGE);
  await until("x11vnc", async () => ((await canConnect(vncPort)) ? true : undefined));
  const websockify = spawn("websockify", ["--web", web, `127.0.0.1:${webPort}`, `127.0.0.1:${vncPort}`], { stdio: "ignore" });
  children.push(websockify);
  await until("websockify", async () => ((await canConnect(webPort)) ? true : undefined));
  return `http://127.0.0.1:${webPort}`;
}

/** noVNC at 1:1. With ?lossless=1 the quality-level pseudo-encodings are left out of
 * SetEncodings (message type 2), so x11vnc's Tight never uses JPEG. */
const PEER_PAGE = `<!doctype html><meta charset="utf-8"><title>noVNC</title>
<body style="margin:0"><div id="screen"></div><script type="module">
import RFB from "./novnc/core/rfb.js";
if (new URLSearchParams(location.search).has("lossless")) {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const bytes = new Uint8Array(data instanceof ArrayBuffer ? data : data.buffer ?? data);
    if (bytes[0] === 2 && bytes.length >= 4) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const kept = [];
      for (let i = 0; i < view.getUint16(2); i++) {
        const encoding = view.getInt32(4 + i * 4);
        if (encoding < -32 || encoding > -23) kept.push(encoding);
      }
      const out = new DataView(new ArrayBuffer(4 + kept.length * 4));
      out.setUint8(0, 2);
      out.setUint16(2, kept.length);
      kept.forEach((e, i) => out.setInt32(4 + i * 4, e));
      return send.call(this, out.buffer);
    }
    return send.call(this, data);
  };
}
const rfb = new RFB(document.getElementById("screen"), "ws://" + location.host + "/websockify");
rfb.scaleViewport = false;
rfb.addEventListener("connect", () => { window.connected = true; });
</script>`;

function canConnect(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      ok(true);
    });
    socket.once("error", () => ok(false));
  });
}

const BROWSER = ["chrome", "chromium", "headless_shell"];

/** CPU seconds (user + system) of every process whose name starts with one of `names`. */
function cpuSeconds(names: string[]): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!names.some((n) => comm.startsWith(n))) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while being read.
    }
  }
  return ticks / 100;
}

function which(tool: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, tool)));
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Each measure as the median over the runs, side by side, with our ratio to each peer. */
function table(results: [string, Measured[]][]): string {
  const [ours, ...peers] = results;
  const runs = ours[1].length;
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const pct = (n: number) => `${(n * 100).toFixed(n < 0.1 ? 1 : 0)} %`;
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  const rows: [string, (m: Measured) => number, (n: number) => string][] = [
    ["key -> visible p50", (m) => quantile(m.keyToVisible, 0.5), ms],
    ["key -> visible p90", (m) => quantile(m.keyToVisible, 0.9), ms],
    ["typing 500 keys: bytes received", (m) => m.typingBytes, kib],
    ["300 lines scrolling: bytes received", (m) => m.scrollBytes, kib],
    ["window moved 40 times: bytes received", (m) => m.moveBytes, kib],
    ["window resized 40 times: bytes received", (m) => m.resizeBytes, kib],
    ["still screen 10 s: bytes received", (m) => m.idle.bytes, (n) => `${n} B`],
    ["still screen: server-side CPU", (m) => m.idle.serverCpu, pct],
    ["still screen: browser CPU", (m) => m.idle.browserCpu, pct],
    ["full motion: frames painted a second", (m) => m.motion.fps, (n) => n.toFixed(1)],
    ["full motion: display lag p50", (m) => m.motion.lagP50, (n) => `${n.toFixed(0)} ms`],
    ["full motion: display lag p90", (m) => m.motion.lagP90, (n) => `${n.toFixed(0)} ms`],
    ["full motion: bytes received", (m) => m.motion.bytes, kib],
    ["full motion: server-side CPU", (m) => m.motion.serverCpu, pct],
    ["full motion: browser CPU", (m) => m.motion.browserCpu, pct],
    ["solid colours: frames painted a second", (m) => m.solid.fps, (n) => n.toFixed(1)],
    ["solid colours: display lag p50", (m) => m.solid.lagP50, (n) => `${n.toFixed(0)} ms`],
    ["solid colours: server-side CPU", (m) => m.solid.serverCpu, pct],
    ["solid colours: browser CPU", (m) => m.solid.browserCpu, pct],
  ];
  const head = `| measure | ${results.map(([n]) => n).join(" | ")} | ${peers.map(([n]) => `GuruConnect / ${n}`).join(" | ")} |`;
  const rule = `|---|${results.map(() => "---:").join("|")}|${peers.map(() => "---:").join("|")}|`;
  const body = rows.map(([label, get, format]) => {
    const median = (ms: Measured[]) => quantile(ms.map(get), 0.5);
    const cells = results.map(([, ms]) => format(median(ms)));
    // Nothing against nothing (a still screen's bytes) has no ratio.
    const ratio = (ms: Measured[]) => (median(ms) === 0 ? "–" : (median(ours[1]) / median(ms)).toFixed(2));
    const ratios = peers.map(([, ms]) => ratio(ms));
    return `| ${label} | ${cells.join(" | ")} | ${ratios.join(" | ")} |`;
  });
  return `\n${runs === 1 ? "one run" : `medians of ${runs} runs`}\n${head}\n${rule}\n${body.join("\n")}\n`;
}
