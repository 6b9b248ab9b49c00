// The stats overlay's numbers: frames painted per second, relay round trip, bytes received per
// second and decode time, measured here; capture/encode times as the agent reports them.
import type { FrameStats } from "../protocol/wire";

export interface StatsSnapshot {
  fps: number;
  rttMs: number | null;
  kbytesPerSec: number;
  decodeMs: number;
  agent: FrameStats | null;
}

export class Stats {
  private frames = 0;
  private bytes = 0;
  private decodeTotal = 0;
  private windowStart = performance.now();
  private rtt: number | null = null;
  private agent: FrameStats | null = null;
  private latest: StatsSnapshot = { fps: 0, rttMs: null, kbytesPerSec: 0, decodeMs: 0, agent: null };

  frame(decodeMs: number): void {
    this.frames++;
    this.decodeTotal += decodeMs;
  }
  received(bytes: number): void {
    this.bytes += bytes;
  }
  roundTrip(ms: number): void {
    this.rtt = ms;
  }
  agentStats(stats: FrameStats): void {
    this.agent = stats;
  }

  /** Closes the current one-second window (or longer) and returns its figures. */
  tick(now = performance.now()): StatsSnapshot {
    const secs = (now - this.windowStart) / 1000;
    if (secs <= 0) return this.latest;
    this.latest = {
      fps: this.frames / secs,
      rttMs: this.rtt,
      kbytesPerSec: this.bytes / 1024 / secs,
      decodeMs: this.frames ? this.decodeTotal / this.frames : 0,
      agent: this.agent,
    };
    this.frames = 0;
    this.bytes = 0;
    this.decodeTotal = 0;
    this.windowStart = now;
    return this.latest;
  }
}

export function formatStats(s: StatsSnapshot): string {
  const lines = [
    `${s.fps.toFixed(1)} fps`,
    `RTT ${s.rttMs === null ? "–" : `${Math.round(s.rttMs)} ms`}`,
    `${s.kbytesPerSec >= 1024 ? `${(s.kbytesPerSec / 1024).toFixed(2)} MB/s` : `${s.kbytesPerSec.toFixed(1)} KB/s`}`,
    `decode ${s.decodeMs.toFixed(2)} ms/frame`,
  ];
  if (s.agent) {
    lines.push(
      `agent: ${s.agent.fps} fps, capture ${(s.agent.captureUs / 1000).toFixed(1)} ms, ` +
        `encode ${(s.agent.encodeUs / 1000).toFixed(1)} ms`,
    );
  }
  return lines.join("\n");
}
