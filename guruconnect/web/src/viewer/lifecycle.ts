// Where a viewed session stands, as one truthful state: what the standalone viewer shows in its
// status line and what the embedded viewer reports to its host page (`viewer:state`,
// CONTRACT.md). "Streaming" means a picture is on the screen, not merely that the relay
// accepted the viewer: a session can be accepted and still wait for its machine or its user.
import type { Status } from "./connection";

export type LifecycleState =
  | "connecting"
  | "waiting_for_agent"
  | "waiting_for_consent"
  | "starting"
  | "streaming"
  | "reconnecting"
  | "ended";

export interface Lifecycle {
  state: LifecycleState;
  /** Why, in words; empty for streaming. */
  reason: string;
}

export interface LifecycleInput {
  connection: Status;
  /** The machine's agent is connected to the relay. */
  agentOnline: boolean;
  /** The agent is asking its user to accept (attended sessions). */
  awaitingConsent: boolean;
  /** A picture was painted since this connection was accepted. */
  painted: boolean;
}

export function lifecycleOf(input: LifecycleInput): Lifecycle {
  const { connection } = input;
  switch (connection.state) {
    case "connecting":
      return { state: "connecting", reason: connection.reason };
    case "reconnecting":
      return { state: "reconnecting", reason: connection.reason };
    case "ended":
      return { state: "ended", reason: connection.reason };
    case "connected":
      if (!input.agentOnline) return { state: "waiting_for_agent", reason: "the remote machine's agent is not connected" };
      if (input.awaitingConsent) return { state: "waiting_for_consent", reason: "the user at the remote machine has not accepted yet" };
      if (!input.painted) return { state: "starting", reason: "waiting for the first picture" };
      return { state: "streaming", reason: "" };
  }
}

/** The status line of the standalone viewer. */
export function describeLifecycle(l: Lifecycle, paused: boolean): string {
  if (paused) return "Paused — press Resume to continue.";
  switch (l.state) {
    case "connecting":
      return "Connecting…";
    case "waiting_for_agent":
      return "Connected — waiting for the remote machine to connect.";
    case "waiting_for_consent":
      return "Connected — waiting for the user at the remote machine to accept.";
    case "starting":
      return "Connected — waiting for the first picture…";
    case "streaming":
      return "Connected.";
    case "reconnecting":
      return `Reconnecting — ${l.reason}.`;
    case "ended":
      return `Session closed: ${l.reason}.`;
  }
}

export function sameLifecycle(a: Lifecycle | null, b: Lifecycle): boolean {
  return a !== null && a.state === b.state && a.reason === b.reason;
}
