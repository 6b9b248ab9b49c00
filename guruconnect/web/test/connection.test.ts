// The viewer connection against a stand-in socket (the browser's WebSocket does not exist in
// Node; the real one is exercised by the Playwright suite).
import { afterEach, expect, it } from "vitest";
import { ViewerConnection } from "../src/viewer/connection";
import { decode, encode, PROTOCOL_VERSION } from "../src/protocol/wire";

class FakeSocket {
  static last: FakeSocket;
  static OPEN = 1;
  readyState = 1;
  binaryType = "";
  sent: Uint8Array[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: ArrayBuffer }) => void) | null = null;
  onclose: ((e: { reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(data: Uint8Array) {
    this.sent.push(data);
  }
  close() {}
  deliver(bytes: Uint8Array) {
    this.onmessage?.({ data: bytes.slice().buffer });
  }
}

const original = globalThis.WebSocket;
afterEach(() => {
  globalThis.WebSocket = original;
});

it("the page hears who is there before it hears 'connected'", () => {
  globalThis.WebSocket = FakeSocket as unknown as typeof WebSocket;
  const order: string[] = [];
  const connection = new ViewerConnection({
    url: "ws://x/ws/viewer",
    sessionId: "s1",
    token: "t",
    onStatus: (s) => order.push(`status:${s.state}`),
    onPayload: (p) => order.push(`payload:${p.$case}`),
    onBytes: () => {},
    onRtt: () => {},
  });
  connection.start();
  FakeSocket.last.onopen?.();
  expect(FakeSocket.last.sent).toHaveLength(1); // the session request
  FakeSocket.last.deliver(
    encode({
      $case: "sessionResponse",
      value: { accepted: true, sessionId: "s1", agentId: "a", hostname: "h", agentOnline: true, protocolVersion: PROTOCOL_VERSION },
    }),
  );
  expect(order).toEqual(["status:connecting", "payload:sessionResponse", "status:connected"]);
  connection.stop("done");
});

it("measures the round trip only while asked to, starting at once", () => {
  globalThis.WebSocket = FakeSocket as unknown as typeof WebSocket;
  const connection = new ViewerConnection({
    url: "ws://x/ws/viewer",
    sessionId: "s1",
    token: "t",
    onStatus: () => {},
    onPayload: () => {},
    onBytes: () => {},
    onRtt: () => {},
  });
  connection.start();
  const socket = FakeSocket.last;
  socket.onopen?.();
  socket.deliver(
    encode({
      $case: "sessionResponse",
      value: { accepted: true, sessionId: "s1", agentId: "a", hostname: "h", agentOnline: true, protocolVersion: PROTOCOL_VERSION },
    }),
  );
  const pings = () => socket.sent.map((bytes) => decode(bytes)).filter((p) => p?.$case === "ping").length;
  expect(pings(), "a still screen with the stats closed sends nothing").toBe(0);
  connection.measureRtt(true);
  expect(pings(), "opening the stats pings at once").toBe(1);
  connection.measureRtt(false);
  connection.stop("done");
});
