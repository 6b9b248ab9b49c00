// What the person at an attended machine does, per platform: download the agent this server
// publishes, then run one command that names this server's relay and the code. The command is
// built from what the server says (relay URL, published builds), never guessed from the page's
// own address, so it works exactly as shown.
import type { AgentDownload, AgentDownloads } from "./api";
import { h } from "./dom";

interface Platform {
  id: string;
  title: string;
  /** Where the browser saves the download, as the command refers to it. */
  savedAs: (file: string) => string;
  /** How to run a one-line command on that system. */
  where: string;
  command: (path: string, relay: string, code: string) => string;
}

const PLATFORMS: Platform[] = [
  {
    id: "linux-x86_64",
    title: "Linux",
    savedAs: (file) => `~/Downloads/${file}`,
    where: "Open a terminal and run:",
    command: (path, relay, code) => `chmod +x ${path} && ${path} run --server ${relay} --support-code ${code}`,
  },
  {
    id: "windows-x86_64",
    title: "Windows",
    savedAs: (file) => `%USERPROFILE%\\Downloads\\${file}`,
    where: "Press Windows+R, paste this line and press Enter:",
    command: (path, relay, code) => `${path} run --server ${relay} --support-code ${code}`,
  },
];

/** The command an end user on `platform` runs, or null when no build is published for it. */
export function agentCommand(platform: string, code: string, setup: AgentDownloads): string | null {
  const spec = PLATFORMS.find((p) => p.id === platform);
  const build = setup.releases.find((r) => r.platform === platform);
  if (!spec || !build) return null;
  return spec.command(spec.savedAs(build.file_name), setup.relay_url, code);
}

/**
 * Why the relay URL cannot work for a machine elsewhere, when it cannot: the server's public
 * URL is loopback or the wildcard address (the default when none is configured).
 */
export function unreachableRelay(relayUrl: string): string | null {
  let host: string;
  try {
    host = new URL(relayUrl).hostname;
  } catch {
    return null;
  }
  const local = host === "localhost" || host === "0.0.0.0" || host === "[::]" || host === "[::1]" || host.startsWith("127.");
  return local
    ? `This server's public URL is ${relayUrl.replace(/^ws/, "http")}: only this computer can reach it. For other machines, set public_url (GURUCONNECT_PUBLIC_URL) to the address they use.`
    : null;
}

/** Signing (on the build machine, which holds the key) and publishing (on the server). */
export function publishCommands(platform: string): string {
  const file = platform.startsWith("windows") ? "guruconnect-agent.exe" : "guruconnect-agent";
  return [
    `guruconnect-server release sign --signing-key KEY_FILE --file ${file} --out ${file}.sig`,
    `guruconnect-server release publish --version VERSION --platform ${platform} --file ${file} --signature ${file}.sig`,
  ].join("\n");
}

/** The steps for every platform: published ones with download and command, others say how to publish. */
export function endUserSteps(code: string, setup: AgentDownloads): HTMLElement {
  const warning = unreachableRelay(setup.relay_url);
  return h("div", { class: "end-user-steps" },
    h("h2", {}, "What they do"),
    warning ? h("p", { class: "notice" }, warning) : null,
    ...PLATFORMS.map((p) => platformSteps(p, code, setup)));
}

function platformSteps(p: Platform, code: string, setup: AgentDownloads): HTMLElement {
  const build = setup.releases.find((r) => r.platform === p.id);
  const section = h("section", { class: "platform", "data-platform": p.id, "aria-label": `${p.title} instructions` }, h("h3", {}, p.title));
  if (!build) {
    section.append(
      h("p", { class: "hint" }, `No ${p.title} build of the agent is published on this server. An administrator signs one where it was built, then publishes it on the server:`),
      h("pre", {}, h("code", {}, publishCommands(p.id))),
    );
    return section;
  }
  const command = agentCommand(p.id, code, setup)!;
  section.append(h("ol", {},
    h("li", {}, "Download ", download(build), ` and save it in the Downloads folder (${p.savedAs(build.file_name)}).`),
    h("li", {}, p.where, h("pre", {}, h("code", { "data-testid": `command-${p.id}` }, command)), copyButton(command)),
    h("li", {}, "Click Accept when GuruConnect asks whether the technician may see the screen. Closing the agent (or its window) ends the session."),
  ));
  return section;
}

function download(build: AgentDownload): HTMLAnchorElement {
  return h("a", { href: build.download_url, download: build.file_name, "data-testid": `download-${build.platform}` },
    `${build.file_name} (version ${build.version}, ${megabytes(build.size)})`);
}

function copyButton(text: string): HTMLButtonElement {
  const button = h("button", { type: "button" }, "Copy");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select the line and copy it";
    }
  });
  return button;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
