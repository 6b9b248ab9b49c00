// The embed protocol (CONTRACT.md, "Viewer embed protocol"): the viewer inside another site's
// iframe talks to exactly one parent origin, chosen from the server's allowlist. Events go out
// with that origin as the postMessage target (never "*"); messages come in only from that
// origin, only from window.parent, and only when they match the schema.

import type { LifecycleState } from "./lifecycle";

/** Version of the message schema; bumped only for incompatible changes. */
export const EMBED_PROTOCOL_VERSION = 1;

export type OutboundEvent =
  | { type: "viewer:ready" }
  | { type: "viewer:connected"; session_id: string; hostname: string }
  | { type: "viewer:disconnected"; reason: string; final: boolean }
  | { type: "viewer:error"; code: string; detail: string }
  | { type: "viewer:resize"; width: number; height: number }
  | { type: "viewer:state"; state: LifecycleState; reason: string };

export type InboundMessage =
  | { type: "viewer:init"; session_id: string; token: string }
  | { type: "viewer:disconnect" }
  | { type: "viewer:ctrl-alt-del" }
  | { type: "viewer:select-display"; display_id: string };

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const TOKEN = /^[A-Za-z0-9._-]{1,4096}$/;

/** Validates an inbound message: a plain object of a known type with exactly its fields. */
export function parseInbound(data: unknown): InboundMessage | null {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  const m = data as Record<string, unknown>;
  const keys = Object.keys(m).sort().join(",");
  if (m.v !== EMBED_PROTOCOL_VERSION) return null;
  switch (m.type) {
    case "viewer:init":
      if (keys !== "session_id,token,type,v") return null;
      if (typeof m.session_id !== "string" || !ID.test(m.session_id)) return null;
      if (typeof m.token !== "string" || !TOKEN.test(m.token)) return null;
      return { type: "viewer:init", session_id: m.session_id, token: m.token };
    case "viewer:disconnect":
    case "viewer:ctrl-alt-del":
      return keys === "type,v" ? { type: m.type } : null;
    case "viewer:select-display":
      if (keys !== "display_id,type,v") return null;
      if (typeof m.display_id !== "string" || !ID.test(m.display_id)) return null;
      return { type: "viewer:select-display", display_id: m.display_id };
    default:
      return null;
  }
}

export type ParentOrigin = { origin: string } | { error: string };

/**
 * Picks the one origin the viewer will talk to: the `parent` the page was asked for, else the
 * origin of the frame that holds it (location.ancestorOrigins), else the only allowed origin.
 * It must be on the allowlist and, when the browser tells us the real ancestor, be that ancestor.
 */
export function resolveParentOrigin(
  allowlist: readonly string[],
  requested: string | null,
  ancestor: string | undefined,
): ParentOrigin {
  if (allowlist.length === 0) {
    return { error: "embedding is not enabled on this server (embed_allowed_origins is empty)" };
  }
  const candidate = requested ?? ancestor ?? (allowlist.length === 1 ? allowlist[0] : undefined);
  if (candidate === undefined) {
    return { error: "cannot tell which allowed origin embeds this viewer: pass ?parent=ORIGIN" };
  }
  if (!allowlist.includes(candidate)) {
    return { error: `origin ${candidate} may not embed this viewer` };
  }
  if (ancestor !== undefined && ancestor !== candidate) {
    return { error: `the viewer is framed by ${ancestor}, not ${candidate}` };
  }
  return { origin: candidate };
}

/** What the channel needs of `window`, so tests can hand it a stand-in. */
export interface EmbedHost {
  parent: { postMessage(message: unknown, targetOrigin: string): void } | null;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

export class EmbedChannel {
  /** Messages dropped for a wrong origin, source or schema (shown in the stats overlay). */
  ignored = 0;

  constructor(
    private readonly host: EmbedHost,
    readonly parentOrigin: string,
    private readonly onMessage: (message: InboundMessage) => void,
  ) {
    host.addEventListener("message", (event) => this.receive(event));
  }

  post(event: OutboundEvent): void {
    this.host.parent?.postMessage({ ...event, v: EMBED_PROTOCOL_VERSION }, this.parentOrigin);
  }

  receive(event: Pick<MessageEvent, "origin" | "source" | "data">): void {
    const trusted = event.origin === this.parentOrigin && event.source === this.host.parent;
    const message = trusted ? parseInbound(event.data) : null;
    if (message === null) {
      this.ignored++;
      return;
    }
    this.onMessage(message);
  }
}
