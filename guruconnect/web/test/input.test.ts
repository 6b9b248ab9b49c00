// Pure parts of input mapping.
import { describe, expect, it } from "vitest";
import { modifierBits, WheelAccumulator } from "../src/viewer/input";
import { describeDisconnect } from "../src/viewer/connection";
import { DisconnectReason } from "../src/protocol/wire";

describe("WheelAccumulator", () => {
  it("turns pixel deltas into notches and keeps the remainder", () => {
    const w = new WheelAccumulator();
    expect(w.add(0, 60, 0)).toEqual({ dx: 0, dy: 0 });
    expect(w.add(0, 60, 0)).toEqual({ dx: 0, dy: 1 });
    expect(w.add(0, -300, 0)).toEqual({ dx: 0, dy: -2 });
    expect(w.add(6, 0, 1)).toEqual({ dx: 2, dy: 0 });
  });
});

it("modifier bits follow the protocol (1 shift, 2 ctrl, 4 alt, 8 meta)", () => {
  expect(modifierBits({ shiftKey: true, ctrlKey: false, altKey: true, metaKey: false })).toBe(5);
  expect(modifierBits({ shiftKey: false, ctrlKey: true, altKey: false, metaKey: true })).toBe(10);
});

it("disconnect reasons that cannot heal end the viewer, others retry", () => {
  expect(describeDisconnect(DisconnectReason.DISCONNECT_REASON_SESSION_ENDED, "").final).toBe(true);
  expect(describeDisconnect(DisconnectReason.DISCONNECT_REASON_AUTH_FAILED, "").final).toBe(true);
  expect(describeDisconnect(DisconnectReason.DISCONNECT_REASON_SERVER_SHUTDOWN, "").final).toBe(false);
  expect(describeDisconnect(DisconnectReason.DISCONNECT_REASON_UNSPECIFIED, "").state).toBe("reconnecting");
});

