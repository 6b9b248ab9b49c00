// The viewer page: wires the socket, the screen, input, controls and — when embedded — the
// parent channel. Standalone it shows its toolbar; with ?embed=1 it shows only the screen and
// reports its lifecycle to the one allowed parent origin.
import "../styles/viewer.css";
import type { DisplayList, Payload } from "../protocol/wire";
import { type Status, ViewerConnection } from "./connection";
import { EmbedChannel, type InboundMessage, type OutboundEvent, resolveParentOrigin } from "./embed";
import { type Decoded, FrameWorker } from "./frame-worker";
import { InputHandler } from "./input";
import { describeLifecycle, type Lifecycle, lifecycleOf, sameLifecycle } from "./lifecycle";
import { forgetFragment, readParams } from "./params";
import { Screen } from "./screen";
import { formatStats, Stats } from "./stats";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const KEY_FRAME_REQUEST_INTERVAL_MS = 500;

/**
 * Diagnostics for benchmarks and support, read-only and same-origin only (an embedding page on
 * another origin cannot read it): when input left, when frames were painted, bytes received.
 */
const metrics = {
  keysSentAt: [] as number[],
  frames: [] as { at: number; key: boolean; decodeMs: number; rects: number }[],
  bytesReceived: 0,
};
(window as unknown as { guruconnectMetrics: typeof metrics }).guruconnectMetrics = metrics;

function remember<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > 2000) list.splice(0, list.length - 2000);
}

class Viewer {
  readonly screen = new Screen($("screen"), $("cursor"), $("stage"));
  readonly stats = new Stats();
  readonly frames = new FrameWorker(
    (decoded) => this.decoded(decoded),
    (reason) => this.decoderFailed(reason),
  );
  readonly input: InputHandler;
  private connection: ViewerConnection | null = null;
  private session: { id: string; token: string } | null = null;
  private display = "";
  private hostname = "";
  private agentOnline = true;
  private awaitingConsent = false;
  private painted = false;
  private connectionStatus: Status = { state: "connecting", reason: "" };
  private lifecycle: Lifecycle | null = null;
  private lastKeyRequest = 0;
  /** The newest frame consumed and not yet acknowledged, and whether its ack is scheduled. */
  private unacknowledged: bigint | null = null;
  private announcedConnected = false;
  private paused = false;
  private readonly status = $("status");
  private readonly displaySelect = $<HTMLSelectElement>("display");

  constructor(private readonly embed: { post(event: OutboundEvent): void } | null) {
    this.input = new InputHandler($("surface"), this, (p) => {
      if (p.$case === "keyEvent" && p.value.down) remember(metrics.keysSentAt, performance.now());
      this.connection?.send(p);
    });
    this.wireControls();
    window.addEventListener("resize", () => this.screen.layout());
    setInterval(() => this.refreshStats(), 1000);
  }

  /** The display input is aimed at (InputTarget). */
  get displayId(): string {
    return this.display;
  }
  toRemote(x: number, y: number) {
    return this.screen.toRemote(x, y);
  }

  open(sessionId: string, token: string): void {
    this.connection?.stop("replaced by a new session");
    this.session = { id: sessionId, token };
    this.connect();
  }

  private connect(): void {
    if (!this.session) return;
    this.frames.reset();
    this.unacknowledged = null;
    this.announcedConnected = false;
    this.painted = false;
    this.connection = new ViewerConnection({
      url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/viewer`,
      sessionId: this.session.id,
      token: this.session.token,
      onStatus: (s) => this.setStatus(s),
      onPayload: (p) => this.receive(p),
      onBytes: (n) => {
        metrics.bytesReceived += n;
        this.stats.received(n);
      },
      onRtt: (ms) => this.stats.roundTrip(ms),
    });
    this.connection.measureRtt($("stats").hidden === false);
    this.connection.start();
  }

  disconnect(reason: string): void {
    this.connection?.stop(reason);
  }

  setStatus(status: Status): void {
    this.connectionStatus = status;
    this.showLifecycle();
    if (status.state === "connected" && !this.announcedConnected) {
      this.announcedConnected = true;
      this.embed?.post({ type: "viewer:connected", session_id: this.session?.id ?? "", hostname: this.hostname });
    }
    if (status.state === "reconnecting" || status.state === "ended") {
      if (this.announcedConnected || status.state === "ended") {
        this.embed?.post({ type: "viewer:disconnected", reason: status.reason, final: status.state === "ended" && !this.paused });
      }
      this.announcedConnected = false;
      this.input.releaseAll();
    }
  }

  /** Shows where the session stands and, when embedded, tells the host page on each change. */
  private showLifecycle(): void {
    const now = lifecycleOf({
      connection: this.connectionStatus,
      agentOnline: this.agentOnline,
      awaitingConsent: this.awaitingConsent,
      painted: this.painted,
    });
    this.status.dataset.state = this.connectionStatus.state;
    this.status.dataset.lifecycle = now.state;
    this.status.dataset.quiet = String(now.state === "streaming" && !this.paused);
    this.status.textContent = describeLifecycle(now, this.paused);
    if (sameLifecycle(this.lifecycle, now)) return;
    this.lifecycle = now;
    this.embed?.post({ type: "viewer:state", state: now.state, reason: now.reason });
  }

  private receive(payload: Payload): void {
    switch (payload.$case) {
      case "videoFrame":
        if (this.display === "") this.display = payload.value.displayId;
        this.frames.submit(payload.value, this.display);
        break;
      case "displayList":
        this.showDisplays(payload.value);
        break;
      case "cursorShape":
        this.screen.setCursorShape(payload.value);
        break;
      case "cursorPosition":
        this.screen.setCursorPosition(payload.value);
        break;
      case "frameStats":
        this.stats.agentStats(payload.value);
        break;
      case "sessionResponse":
        this.hostname = payload.value.hostname;
        this.agentOnline = payload.value.agentOnline;
        this.showLifecycle();
        $("title").textContent = this.hostname || payload.value.agentId;
        document.title = `${this.hostname || "Remote machine"} – GuruConnect`;
        break;
      case "viewerPresence":
        if (this.agentOnline !== payload.value.agentOnline || this.awaitingConsent !== payload.value.awaitingConsent) {
          // The machine left (or came back): what it shows next starts a new picture.
          if (!payload.value.agentOnline) this.painted = false;
          this.agentOnline = payload.value.agentOnline;
          this.awaitingConsent = payload.value.awaitingConsent;
          this.showLifecycle();
        }
        break;
      case "error":
        this.embed?.post({ type: "viewer:error", code: `relay_${payload.value.code}`, detail: payload.value.detail });
        break;
    }
  }

  /** A frame back from the decode worker: drawn, acknowledged, counted. */
  private decoded(result: Decoded): void {
    this.screen.paint(result);
    this.acknowledge(result.sequence);
    if (result.needKeyFrame) this.requestKeyFrame();
    if (result.tiles.length > 0 || result.fills.length > 0) {
      if (!this.painted) {
        this.painted = true;
        this.showLifecycle();
      }
      this.stats.frame(result.decodeMs);
      remember(metrics.frames, { at: performance.now(), key: result.key, decodeMs: result.decodeMs, rects: result.tiles.length + result.fills.length });
    }
    if (result.resized) {
      this.embed?.post({ type: "viewer:resize", width: this.screen.width, height: this.screen.height });
    }
  }

  /** The decoder cannot run (WebAssembly refused, a bug): nothing will be shown, so say so. */
  private decoderFailed(reason: string): void {
    this.connection?.stop(`the viewer could not decode the screen: ${reason}`);
  }

  /**
   * Tells the relay this frame is consumed once the page is about to present it. The agent keeps
   * only a couple of frames unacknowledged, so the stream runs at the pace this page paints:
   * a hidden tab (no animation frames) or a starved one stops it instead of queueing stale
   * pictures, and the next frame after the pause shows the screen as it is then. Frames skipped
   * while waiting for a key frame are consumed too.
   */
  private acknowledge(sequence: bigint): void {
    const scheduled = this.unacknowledged !== null;
    this.unacknowledged = sequence;
    if (scheduled) return;
    requestAnimationFrame(() => {
      const newest = this.unacknowledged;
      this.unacknowledged = null;
      if (newest !== null) this.connection?.send({ $case: "frameAck", value: { sequence: newest } });
    });
  }

  private requestKeyFrame(): void {
    const now = performance.now();
    if (now - this.lastKeyRequest < KEY_FRAME_REQUEST_INTERVAL_MS) return;
    this.lastKeyRequest = now;
    this.connection?.send({ $case: "keyFrameRequest", value: { displayId: this.display } });
  }

  private showDisplays(list: DisplayList): void {
    const select = this.displaySelect;
    select.replaceChildren(
      ...list.displays.map((d, i) => {
        const option = document.createElement("option");
        option.value = d.id;
        option.textContent = `${i + 1}: ${d.name || d.id} (${d.width}×${d.height}${d.primary ? ", primary" : ""})`;
        return option;
      }),
    );
    select.disabled = list.displays.length < 2;
    if (list.selectedDisplayId) {
      if (list.selectedDisplayId !== this.display) this.frames.reset();
      this.display = list.selectedDisplayId;
    }
    select.value = this.display;
  }

  selectDisplay(id: string): void {
    if (id === this.display) return;
    this.display = id;
    this.frames.reset();
    this.connection?.send({ $case: "selectDisplay", value: { displayId: id } });
    this.requestKeyFrame();
  }

  private wireControls(): void {
    this.displaySelect.addEventListener("change", () => this.selectDisplay(this.displaySelect.value));
    $<HTMLSelectElement>("fps").addEventListener("change", (e) => {
      const maxFps = Number((e.target as HTMLSelectElement).value);
      this.connection?.send({ $case: "qualitySettings", value: { preset: 0, maxFps, preferredEncoding: 0 } });
    });
    const scale = $("scale");
    scale.addEventListener("click", () => {
      this.screen.mode = this.screen.mode === "fit" ? "actual" : "fit";
      scale.setAttribute("aria-pressed", String(this.screen.mode === "actual"));
      this.screen.layout();
    });
    const pause = $("pause");
    pause.addEventListener("click", () => {
      this.paused = !this.paused;
      pause.setAttribute("aria-pressed", String(this.paused));
      pause.textContent = this.paused ? "Resume" : "Pause";
      if (this.paused) this.connection?.stop("paused by the technician");
      else this.connect();
    });
    $("cad").addEventListener("click", () => this.input.ctrlAltDel());
    $("fullscreen").addEventListener("click", () => {
      if (document.fullscreenElement) void document.exitFullscreen();
      else void $("stage").requestFullscreen();
    });
    const statsToggle = $("stats-toggle");
    statsToggle.addEventListener("click", () => {
      const opening = $("stats").hidden !== false;
      $("stats").hidden = !opening;
      statsToggle.setAttribute("aria-pressed", String(opening));
      this.connection?.measureRtt(opening);
      if (opening) this.refreshStats();
    });
    $("disconnect").addEventListener("click", () => this.disconnect("disconnected by the technician"));
  }

  private refreshStats(): void {
    const snapshot = this.stats.tick();
    const box = $("stats");
    if (!box.hidden) box.textContent = formatStats(snapshot);
  }

  handle(message: InboundMessage): void {
    switch (message.type) {
      case "viewer:init":
        this.open(message.session_id, message.token);
        break;
      case "viewer:disconnect":
        this.disconnect("disconnected by the embedding page");
        break;
      case "viewer:ctrl-alt-del":
        this.input.ctrlAltDel();
        break;
      case "viewer:select-display":
        this.selectDisplay(message.display_id);
        break;
    }
  }
}

function showNotice(text: string, state: "connecting" | "ended" = "ended"): void {
  const status = $("status");
  status.dataset.state = state;
  status.textContent = text;
}

function main(): void {
  const meta = document.querySelector('meta[name="gc-embed-origins"]')?.getAttribute("content") ?? null;
  const params = readParams(location, meta);
  forgetFragment();
  if (!params.embed) {
    const viewer = new Viewer(null);
    if (params.sessionId && params.token) viewer.open(params.sessionId, params.token);
    else showNotice("No session to open: start one from the machines list.");
    return;
  }
  document.body.classList.add("embed");
  const ancestor = location.ancestorOrigins?.[0];
  const parent = resolveParentOrigin(params.embedOrigins, params.parent, ancestor);
  if ("error" in parent) {
    showNotice(`This viewer cannot be embedded here: ${parent.error}.`);
    return;
  }
  let viewer: Viewer | null = null;
  const channel = new EmbedChannel(window, parent.origin, (m) => viewer?.handle(m));
  viewer = new Viewer(channel);
  channel.post({ type: "viewer:ready" });
  if (params.sessionId && params.token) viewer.open(params.sessionId, params.token);
  else showNotice("Waiting for the session from the embedding page…", "connecting");
}

main();
