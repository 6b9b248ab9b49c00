// The viewer's one truthful state: accepted by the relay is not "streaming"; a session that
// waits for its machine or its user says so.
import { describe, expect, it } from "vitest";
import { describeLifecycle, lifecycleOf } from "../src/viewer/lifecycle";

const connected = { state: "connected" as const, reason: "" };

describe("lifecycleOf", () => {
  it("is streaming only once a picture is painted", () => {
    const base = { connection: connected, agentOnline: true, awaitingConsent: false };
    expect(lifecycleOf({ ...base, painted: false }).state).toBe("starting");
    expect(lifecycleOf({ ...base, painted: true })).toEqual({ state: "streaming", reason: "" });
  });

  it("says what an accepted viewer waits for", () => {
    expect(lifecycleOf({ connection: connected, agentOnline: false, awaitingConsent: false, painted: false }).state).toBe(
      "waiting_for_agent",
    );
    expect(lifecycleOf({ connection: connected, agentOnline: true, awaitingConsent: true, painted: false }).state).toBe(
      "waiting_for_consent",
    );
    // The machine left after streaming: waiting again, not streaming.
    expect(lifecycleOf({ connection: connected, agentOnline: false, awaitingConsent: false, painted: true }).state).toBe(
      "waiting_for_agent",
    );
  });

  it("keeps the connection's reason when it is not connected", () => {
    const ended = lifecycleOf({
      connection: { state: "ended", reason: "the user declined the session" },
      agentOnline: true,
      awaitingConsent: false,
      painted: true,
    });
    expect(ended).toEqual({ state: "ended", reason: "the user declined the session" });
    expect(describeLifecycle(ended, false)).toBe("Session closed: the user declined the session.");
    expect(lifecycleOf({ connection: { state: "reconnecting", reason: "x" }, agentOnline: true, awaitingConsent: false, painted: true }).state).toBe(
      "reconnecting",
    );
  });
});
