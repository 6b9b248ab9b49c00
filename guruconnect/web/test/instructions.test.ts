// The end user's command for an attended session: built from what the server says, per platform.
import { expect, it } from "vitest";
import type { AgentDownloads, Session, SupportCode } from "../src/app/api";
import { codeStatus } from "../src/app/codes";
import { agentCommand, unreachableRelay } from "../src/app/instructions";

const setup: AgentDownloads = {
  relay_url: "wss://connect.example.com",
  releases: [
    { platform: "linux-x86_64", version: "1.2.3", file_name: "guruconnect-agent", download_url: "https://connect.example.com/api/releases/linux-x86_64/1.2.3/download", size: 1, sha256: "", published_at: "" },
    { platform: "windows-x86_64", version: "1.2.3", file_name: "guruconnect-agent.exe", download_url: "https://connect.example.com/api/releases/windows-x86_64/1.2.3/download", size: 1, sha256: "", published_at: "" },
  ],
};

it("the command names the server's relay, the code, and the file where the download was saved", () => {
  expect(agentCommand("linux-x86_64", "12345678", setup)).toBe(
    "chmod +x ~/Downloads/guruconnect-agent && ~/Downloads/guruconnect-agent run --server wss://connect.example.com --support-code 12345678",
  );
  expect(agentCommand("windows-x86_64", "12345678", setup)).toBe(
    "%USERPROFILE%\\Downloads\\guruconnect-agent.exe run --server wss://connect.example.com --support-code 12345678",
  );
});

it("no command is offered for a platform with nothing published", () => {
  expect(agentCommand("windows-x86_64", "1", { ...setup, releases: setup.releases.slice(0, 1) })).toBeNull();
});

it("a used code shows its session's state", () => {
  const code = (status: string, session_id: string | null) => ({ status, session_id }) as SupportCode;
  const live = { id: "s", status: "active" } as Session;
  expect(codeStatus(code("pending", null), undefined)).toBe("pending");
  expect(codeStatus(code("used", "s"), live)).toBe("used: session live");
  expect(codeStatus(code("used", "s"), undefined)).toBe("used: session ended");
  expect(codeStatus(code("used", "s"), { ...live, status: "agent_offline" })).toBe("used: session agent offline");
});

it("a relay URL only this computer can reach is called out", () => {
  expect(unreachableRelay("ws://127.0.0.1:8443")).toMatch(/^This server's public URL is http:\/\/127\.0\.0\.1:8443: only this computer/);
  expect(unreachableRelay("wss://[::1]:8443")).not.toBeNull();
  expect(unreachableRelay("ws://0.0.0.0:8443")).not.toBeNull();
  expect(unreachableRelay("wss://connect.example.com")).toBeNull();
  expect(unreachableRelay("ws://192.168.1.10:8443")).toBeNull();
});
