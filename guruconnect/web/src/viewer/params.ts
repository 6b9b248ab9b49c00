// How the viewer page learns what to open: the session id and viewer token arrive in the URL
// fragment (which browsers never send to a server, so it cannot land in logs) and are wiped from
// the address bar at once; or, embedded, in a `viewer:init` message from the parent.

export interface ViewerParams {
  embed: boolean;
  /** The parent origin the embedding page asked for (`?parent=`), checked against the allowlist. */
  parent: string | null;
  sessionId: string | null;
  token: string | null;
  /** Origins allowed to embed the viewer, as the server wrote them into the page. */
  embedOrigins: string[];
}

export function readParams(location: Pick<Location, "search" | "hash">, meta: string | null): ViewerParams {
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  return {
    embed: query.get("embed") === "1",
    parent: query.get("parent"),
    sessionId: fragment.get("session"),
    token: fragment.get("token"),
    embedOrigins: (meta ?? "").split(/\s+/).filter((o) => o.length > 0),
  };
}

/** Removes the fragment (and with it the token) from the address bar and history. */
export function forgetFragment(): void {
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
}
