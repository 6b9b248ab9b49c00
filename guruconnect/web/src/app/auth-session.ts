// One sign-in per browser, shared by every tab: the refresh token lives in an HttpOnly cookie
// that only the server's refresh route sees (page script never can), each tab keeps its own
// short-lived access token in memory, and tabs tell each other when someone signs in or out.

/** Why a sign-in ended, in the words the login page shows. */
export function endedReason(code: string): string {
  switch (code) {
    case "session_expired":
      return "Your session expired. Sign in again.";
    case "session_ended":
      return "Your sign-in was ended: signed out, stopped by a security check, or your account was disabled. Sign in again.";
    default:
      // No cookie any more while this tab was signed in: a sign-out elsewhere removed it.
      return "You were signed out in another tab or window. Sign in again.";
  }
}

export const SIGNED_OUT_HERE_ELSEWHERE = "You signed out in another tab.";

/**
 * Whether this browser holds a sign-in to pick up: the server sets the script-readable
 * `gc_signed_in` cookie (no secret) beside the HttpOnly refresh cookie, so a tab with nobody
 * signed in does not ask the server and log a 401.
 */
export function browserSignedIn(): boolean {
  return document.cookie.split(";").some((c) => c.trim() === "gc_signed_in=1");
}

/**
 * Runs `renew` with no other tab renewing at the same time. The refresh token rotates on
 * every use and a reused one ends the sign-in (replay detection), so two tabs must never
 * present the same cookie: the second waits and then sends the cookie the first received.
 * Without the Web Locks API (plain HTTP on a non-local address) tabs renew unguarded.
 */
export function oneTabAtATime<T>(renew: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return locks ? locks.request("guruconnect-refresh", renew) : renew();
}

type Announcement = "signed-in" | "signed-out";

/** Tells the other tabs of this browser about sign-ins and sign-outs, and hears theirs. */
export class TabChannel {
  private readonly channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("guruconnect-auth");

  constructor(hear: (what: Announcement) => void) {
    this.channel?.addEventListener("message", (e: MessageEvent) => {
      if (e.data === "signed-in" || e.data === "signed-out") hear(e.data);
    });
  }

  announce(what: Announcement): void {
    this.channel?.postMessage(what);
  }
}
