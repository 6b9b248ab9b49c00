// The embed channel's rules: one parent origin from the allowlist, events posted to exactly
// that origin, inbound messages only from that origin and window.parent and with the schema.
import { describe, expect, it } from "vitest";
import { EmbedChannel, type EmbedHost, parseInbound, resolveParentOrigin } from "../src/viewer/embed";

const RMM = "https://rmm.example.com";
const EVIL = "https://evil.example.net";

function fakeHost() {
  const posted: { message: unknown; targetOrigin: string }[] = [];
  const parent = { postMessage: (message: unknown, targetOrigin: string) => posted.push({ message, targetOrigin }) };
  const host: EmbedHost = { parent, addEventListener: () => {} };
  return { host, parent, posted };
}

describe("resolveParentOrigin", () => {
  it("takes the requested origin only when allowed and when it is the real ancestor", () => {
    expect(resolveParentOrigin([RMM], RMM, RMM)).toEqual({ origin: RMM });
    expect(resolveParentOrigin([RMM], null, undefined)).toEqual({ origin: RMM });
    expect(resolveParentOrigin([RMM, "https://b.example"], null, "https://b.example")).toEqual({ origin: "https://b.example" });
    expect(resolveParentOrigin([RMM], EVIL, undefined)).toHaveProperty("error");
    expect(resolveParentOrigin([RMM], RMM, EVIL)).toHaveProperty("error");
    expect(resolveParentOrigin([RMM], null, EVIL)).toHaveProperty("error");
    expect(resolveParentOrigin([], RMM, RMM)).toHaveProperty("error");
    expect(resolveParentOrigin([RMM, "https://b.example"], null, undefined)).toHaveProperty("error");
  });
});

describe("parseInbound", () => {
  it("accepts exactly the documented messages", () => {
    expect(parseInbound({ v: 1, type: "viewer:init", session_id: "abc-1", token: "a.b.c" })).toEqual({
      type: "viewer:init",
      session_id: "abc-1",
      token: "a.b.c",
    });
    expect(parseInbound({ v: 1, type: "viewer:disconnect" })).toEqual({ type: "viewer:disconnect" });
    expect(parseInbound({ v: 1, type: "viewer:select-display", display_id: "d1" })).toEqual({
      type: "viewer:select-display",
      display_id: "d1",
    });
  });

  it("refuses anything else", () => {
    for (const bad of [
      null,
      "viewer:disconnect",
      [],
      { type: "viewer:disconnect" },
      { v: 2, type: "viewer:disconnect" },
      { v: 1, type: "viewer:disconnect", extra: 1 },
      { v: 1, type: "viewer:init", session_id: "x", token: "<script>" },
      { v: 1, type: "viewer:init", session_id: "../x", token: "t" },
      { v: 1, type: "viewer:init", session_id: "x" },
      { v: 1, type: "viewer:eval", code: "alert(1)" },
    ]) {
      expect(parseInbound(bad)).toBeNull();
    }
  });
});

describe("EmbedChannel", () => {
  it("posts to the parent origin only, never '*'", () => {
    const { host, posted } = fakeHost();
    new EmbedChannel(host, RMM, () => {}).post({ type: "viewer:ready" });
    expect(posted).toEqual([{ message: { type: "viewer:ready", v: 1 }, targetOrigin: RMM }]);
  });

  it("ignores messages from another origin, another window, or off-schema", () => {
    const { host, parent } = fakeHost();
    const received: unknown[] = [];
    const channel = new EmbedChannel(host, RMM, (m) => received.push(m));
    const init = { v: 1, type: "viewer:init", session_id: "s1", token: "t" };
    channel.receive({ origin: EVIL, source: parent as never, data: init });
    channel.receive({ origin: RMM, source: {} as never, data: init });
    channel.receive({ origin: RMM, source: parent as never, data: { ...init, token: 5 } });
    expect(received).toEqual([]);
    expect(channel.ignored).toBe(3);
    channel.receive({ origin: RMM, source: parent as never, data: init });
    expect(received).toEqual([{ type: "viewer:init", session_id: "s1", token: "t" }]);
  });
});
