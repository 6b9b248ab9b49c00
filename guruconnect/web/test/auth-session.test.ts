// The login page's words for how a sign-in ended, from the server's error codes.
import { expect, it } from "vitest";
import { endedReason } from "../src/app/auth-session";

it("each way a sign-in ends has its own words", () => {
  expect(endedReason("session_expired")).toBe("Your session expired. Sign in again.");
  expect(endedReason("session_ended")).toMatch(/^Your sign-in was ended: signed out, stopped by a security check/);
  // The cookie is gone while this tab was signed in: a sign-out elsewhere removed it.
  expect(endedReason("unauthorized")).toBe("You were signed out in another tab or window. Sign in again.");
});
