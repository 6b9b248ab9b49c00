// A machine enrolled exactly as the GuruRMM dashboard tells a technician to: its Linux
// instructions, as displayed, run by bash as root. The machine has its own /etc/gururmm,
// /etc/systemd/system, /usr/local/bin and /var/log/gururmm (tmpfs in a private mount
// namespace), so the instructions write where they would on a real machine and nothing reaches
// this host's. Two stand-ins, both named here: `sudo` (the shell is root already) and
// `systemctl enable --now gururmm-agent`, which does what systemd does with the unit the
// instructions install: run its ExecStart, again whenever it exits (Restart=always).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { until } from "../../guruconnect/web/e2e/harness";
import { shipped, type World } from "./shipped";

const REPO = resolve(import.meta.dirname, "../..");

const BOOT = `set -euo pipefail
for dir in /etc/gururmm /etc/systemd/system /usr/local/bin /var/log/gururmm; do
  mkdir -p "$dir"
  mount -t tmpfs tmpfs "$dir"
done
# What installing the agent put on the machine (gururmm/packaging/gururmm-agent.service says
# where the binary goes); the unit file waits in the directory the instructions run in.
install -m 0755 "$SHIPPED_AGENT" /usr/local/bin/gururmm-agent
cd "$WORK"
sudo() { "$@"; }
systemctl() {
  [[ "$*" == "enable --now gururmm-agent" ]] || { echo "systemctl stand-in: unexpected: $*" >&2; return 1; }
  local exec_start
  exec_start=$(sed -n 's/^ExecStart=//p' /etc/systemd/system/gururmm-agent.service)
  ( while [[ ! -e "$WORK/disabled" ]]; do $exec_start; sleep 1; done ) &
}
source "$WORK/instructions.sh"
wait
`;

export interface Machine {
  /** The path of `path` as this machine sees it (through its namespace). */
  at(path: string): string;
  /** Stops the RMM agent once and waits until the service manager started it again. */
  restartAgent(): Promise<void>;
  /** Stops the RMM agent for good (the machine went offline). */
  stopAgent(): Promise<void>;
  /** Pids of the GuruConnect agents running from the RMM agent's verified cache. */
  guruconnectAgents(args?: string): number[];
  stopGuruconnectAgents(): Promise<void>;
  stop(): Promise<void>;
}

const RMM_AGENT = "/usr/local/bin/gururmm-agent --config /etc/gururmm/agent.toml run";
const GC_CACHE = "/etc/gururmm/guruconnect/";
/** Pids whose command line matches `pattern`, among the processes of mount namespace `ns`. */
function pidsIn(ns: string, pattern: string): number[] {
  const found = spawnSync("pgrep", ["-f", pattern], { encoding: "utf8" });
  return found.stdout
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => mountNamespace(pid) === ns);
}

function mountNamespace(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return null;
  }
}

/** Runs `instructions` (the dashboard's Linux steps, verbatim) on a new machine. */
export async function enrol(world: World, instructions: string): Promise<Machine> {
  const work = join(world.tmp, "machine");
  mkdirSync(work, { recursive: true });
  copyFileSync(join(REPO, "gururmm/packaging/gururmm-agent.service"), join(work, "gururmm-agent.service"));
  writeFileSync(join(work, "instructions.sh"), instructions + "\n");
  writeFileSync(join(work, "boot.sh"), BOOT);
  const asRoot = process.getuid?.() === 0;
  const unshare = asRoot ? ["--mount", "--propagation", "private"] : ["--user", "--map-root-user", "--mount"];
  // Its own process group: stopping the machine stops its shell and its service loop.
  const shell: ChildProcess = spawn("unshare", [...unshare, "bash", join(work, "boot.sh")], {
    env: { ...process.env, DISPLAY: world.display, WORK: work, SHIPPED_AGENT: shipped("gururmm-agent"), RUST_LOG: "info" },
    stdio: ["ignore", world.log("machine"), world.log("machine")],
    detached: true,
  });
  // The namespace is the machine: processes of another (an earlier run's) do not count.
  const ns = await until("the machine's namespace", () => {
    const own = mountNamespace(shell.pid!);
    return own && own !== mountNamespace(process.pid) ? own : undefined;
  });
  const pids = (pattern: string) => pidsIn(ns, pattern);
  const agentPid = () => pids(RMM_AGENT)[0];
  await until("the enrolled RMM agent to start", () => agentPid(), 30_000);
  const machine: Machine = {
    at: (path) => `/proc/${agentPid()}/root${path}`,
    restartAgent: async () => {
      const old = agentPid();
      if (old) process.kill(old, "SIGTERM");
      await until("the service manager to start the RMM agent again", () => {
        const now = agentPid();
        return now && now !== old ? true : undefined;
      }, 30_000);
    },
    stopAgent: async () => {
      writeFileSync(join(work, "disabled"), "");
      for (const pid of pids(RMM_AGENT)) process.kill(pid, "SIGTERM");
      await until("the RMM agent to stop", () => (pids(RMM_AGENT).length === 0 ? true : undefined));
    },
    guruconnectAgents: (args = "") => pids(`${GC_CACHE}.* run .*${args}`),
    stopGuruconnectAgents: async () => {
      for (const pid of pids(GC_CACHE)) process.kill(pid, "SIGTERM");
      await until("the GuruConnect agents to stop", () => (pids(GC_CACHE).length === 0 ? true : undefined));
    },
    stop: async () => {
      writeFileSync(join(work, "disabled"), "");
      for (const pid of [...pids(GC_CACHE), ...pids(RMM_AGENT)]) process.kill(pid, "SIGKILL");
      try {
        process.kill(-shell.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
  return machine;
}
