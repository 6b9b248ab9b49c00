// Opening the viewer in a new tab, shared by Connect (machines), Join (sessions, support codes
// and attended machines): mint a viewer token for the session, then point the tab at
// /viewer with session and token in the URL fragment (never sent to the server, so never in
// its logs).
import type { Api } from "./api";

/**
 * Opens the viewer of the session `sessionId` resolves to. The tab is opened inside the click,
 * before any await, or the browser would take it for a pop-up.
 */
export async function openViewerTab(api: Api, sessionId: () => Promise<string>, showError: (e: unknown) => void): Promise<void> {
  const tab = window.open("about:blank", "_blank");
  try {
    const id = await sessionId();
    const { token } = await api.viewerToken(id);
    const url = `/viewer#${new URLSearchParams({ session: id, token })}`;
    if (tab) tab.location.href = url;
    else location.href = url;
  } catch (e) {
    tab?.close();
    showError(e);
  }
}

/** A Join button that opens the viewer of a live session. */
export function joinButton(api: Api, sessionId: string, label: string, showError: (e: unknown) => void): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "primary";
  button.textContent = "Join";
  button.setAttribute("aria-label", label);
  button.addEventListener("click", () => void openViewerTab(api, async () => sessionId, showError));
  return button;
}
