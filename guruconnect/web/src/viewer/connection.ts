// The viewer's socket to the relay (/ws/viewer): handshake with the session-scoped token,
// pings for RTT, and the connection state the page shows — connecting, connected, reconnecting,
// ended — always with a reason. Drops that may heal (network, server restart) are retried with
// capped backoff; a refusal that cannot heal (token refused, session ended) ends the viewer.
import {
  decode,
  DisconnectReason,
  encode,
  PROTOCOL_VERSION,
  type Payload,
} from "../protocol/wire";

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "ended";

export interface Status {
  state: ConnectionState;
  reason: string;
}

export interface ConnectionOptions {
  url: string;
  sessionId: string;
  token: string;
  onStatus(status: Status): void;
  onPayload(payload: Payload): void;
  /** Bytes of every message received, for the bandwidth figure. */
  onBytes(bytes: number): void;
  onRtt(ms: number): void;
}

/** Why the relay closed us, in words, and whether trying again could help. */
export function describeDisconnect(reason: DisconnectReason, detail: string): Status & { final: boolean } {
  const with_ = (text: string) => (detail ? `${text} (${detail})` : text);
  switch (reason) {
    case DisconnectReason.DISCONNECT_REASON_SESSION_ENDED:
      return { state: "ended", reason: with_("the session ended"), final: true };
    case DisconnectReason.DISCONNECT_REASON_AUTH_FAILED:
      return { state: "ended", reason: "the viewer token was refused: it expired or was revoked", final: true };
    case DisconnectReason.DISCONNECT_REASON_MACHINE_REMOVED:
      return { state: "ended", reason: "the machine was removed", final: true };
    case DisconnectReason.DISCONNECT_REASON_CONSENT_DECLINED:
      return { state: "ended", reason: "the user declined the session", final: true };
    case DisconnectReason.DISCONNECT_REASON_RATE_LIMITED:
      return { state: "ended", reason: "this viewer sent too many messages", final: true };
    case DisconnectReason.DISCONNECT_REASON_PROTOCOL_ERROR:
      return { state: "ended", reason: with_("protocol error"), final: true };
    case DisconnectReason.DISCONNECT_REASON_NORMAL:
      return { state: "ended", reason: with_("disconnected"), final: true };
    case DisconnectReason.DISCONNECT_REASON_SERVER_SHUTDOWN:
      return { state: "reconnecting", reason: "the server is restarting", final: false };
    case DisconnectReason.DISCONNECT_REASON_TOO_SLOW:
      return { state: "reconnecting", reason: "the connection was too slow", final: false };
    case DisconnectReason.DISCONNECT_REASON_IDLE_TIMEOUT:
      return { state: "reconnecting", reason: "the connection went quiet", final: false };
    default:
      return { state: "reconnecting", reason: with_("connection lost"), final: false };
  }
}

/** Delays between reconnection attempts; after the last the viewer gives up. */
export const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 8000, 8000, 8000];
const PING_INTERVAL_MS = 2000;

export class ViewerConnection {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private pinger: ReturnType<typeof setInterval> | undefined;
  /** Whether the round trip is measured (only while someone looks at it: a still screen then
   * costs no bytes at all; the relay's own WebSocket pings keep the connection alive). */
  private measuringRtt = false;
  private lastDisconnect: (Status & { final: boolean }) | null = null;
  private stopped = false;
  private accepted = false;

  constructor(private readonly options: ConnectionOptions) {}

  start(): void {
    this.stopped = false;
    this.open("connecting", "opening the connection");
  }

  send(payload: Payload): void {
    if (this.socket?.readyState === WebSocket.OPEN && this.accepted) {
      this.socket.send(encode(payload));
    }
  }

  /** Leaves on purpose: tells the relay, stops retrying, and reports `reason`. */
  stop(reason: string): void {
    this.stopped = true;
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(
        encode({
          $case: "disconnect",
          value: { reason: DisconnectReason.DISCONNECT_REASON_NORMAL, detail: reason },
        }),
      );
    }
    this.socket?.close(1000, "viewer left");
    this.finish({ state: "ended", reason });
  }

  private open(state: ConnectionState, reason: string): void {
    this.options.onStatus({ state, reason });
    this.accepted = false;
    this.lastDisconnect = null;
    const socket = new WebSocket(this.options.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      socket.send(
        encode({
          $case: "sessionRequest",
          value: {
            protocolVersion: PROTOCOL_VERSION,
            sessionId: this.options.sessionId,
            viewerToken: this.options.token,
          },
        }),
      );
    };
    socket.onmessage = (event) => this.receive(event.data as ArrayBuffer);
    socket.onclose = (event) => {
      if (this.socket === socket) this.closed(event);
    };
  }

  private receive(data: ArrayBuffer): void {
    this.options.onBytes(data.byteLength);
    let payload: Payload | undefined;
    try {
      payload = decode(new Uint8Array(data));
    } catch {
      return; // a message we cannot parse is skipped, not fatal
    }
    if (payload === undefined) return;
    switch (payload.$case) {
      case "sessionResponse":
        this.accepted = payload.value.accepted;
        this.attempt = 0;
        if (this.measuringRtt) this.startPings();
        // The page learns who is there (agent online or not) before it hears "connected", so
        // what it shows is about this connection, not the one before.
        this.options.onPayload(payload);
        this.options.onStatus({
          state: "connected",
          reason: payload.value.agentOnline ? "streaming" : "waiting for the remote machine to connect",
        });
        return;
      case "pong":
        this.options.onRtt(Math.max(0, Date.now() - Number(payload.value.sentAtUs / 1000n)));
        return;
      case "ping":
        this.send({ $case: "pong", value: payload.value });
        return;
      case "disconnect":
        this.lastDisconnect = describeDisconnect(payload.value.reason, payload.value.detail);
        break;
    }
    this.options.onPayload(payload);
  }

  /** Starts or stops measuring the round trip to the relay (at once, then every 2 s). */
  measureRtt(on: boolean): void {
    this.measuringRtt = on;
    if (!on) clearInterval(this.pinger);
    else if (this.socket?.readyState === WebSocket.OPEN && this.accepted) this.startPings();
  }

  private startPings(): void {
    const ping = () => {
      const now = BigInt(Date.now()) * 1000n;
      this.send({ $case: "ping", value: { nonce: now, sentAtUs: now } });
    };
    clearInterval(this.pinger);
    ping();
    this.pinger = setInterval(ping, PING_INTERVAL_MS);
  }

  private closed(event: CloseEvent): void {
    clearInterval(this.pinger);
    if (this.stopped) return;
    const why = this.lastDisconnect ?? describeDisconnect(DisconnectReason.DISCONNECT_REASON_UNSPECIFIED, event.reason);
    if (why.final) return this.finish(why);
    if (this.attempt >= RECONNECT_DELAYS_MS.length) {
      return this.finish({ state: "ended", reason: `could not reconnect: ${why.reason}` });
    }
    const delay = RECONNECT_DELAYS_MS[this.attempt++];
    this.options.onStatus({ state: "reconnecting", reason: why.reason });
    setTimeout(() => {
      if (!this.stopped) this.open("reconnecting", why.reason);
    }, delay);
  }

  private finish(status: Status): void {
    this.stopped = true;
    clearInterval(this.pinger);
    this.options.onStatus({ state: "ended", reason: status.reason });
  }
}
