// How to enrol a machine into a site, for Linux (systemd) and Windows (service), with the
// site code, this server's agent URL and (when configured) GuruConnect's release key filled in. The code is only known right after the
// site was created or its code regenerated (the server keeps a keyed hash), so this shows
// whenever the page has one.
import { CopyButton } from '../components/CopyButton';

/** The agents' WebSocket URL on the server this page came from. */
export function agentUrl(location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

/** agent.toml for a new machine: the server and site code, and — when this server knows it —
 * GuruConnect's release key, which the agent pins so Remote Control can verify what it runs. */
export function agentToml(code: string, url: string, releaseKey?: string | null): string[] {
  const lines = ['[server]', `url = "${url}"`, `api_key = "${code}"`];
  if (releaseKey) lines.push('', '[remote_control]', `release_public_key = "${releaseKey}"`);
  return lines;
}

export function linuxInstructions(code: string, url: string, releaseKey?: string | null): string {
  return [
    'sudo install -d -m 0755 /etc/gururmm',
    "sudo install -m 0600 /dev/stdin /etc/gururmm/agent.toml <<'EOF'",
    ...agentToml(code, url, releaseKey),
    'EOF',
    'sudo gururmm-agent --config /etc/gururmm/agent.toml check-config',
    'sudo cp gururmm-agent.service /etc/systemd/system/   # from gururmm/packaging/',
    'sudo systemctl enable --now gururmm-agent',
  ].join('\n');
}

export function windowsInstructions(code: string, url: string, releaseKey?: string | null): string {
  return [
    '# PowerShell, as Administrator',
    'New-Item -ItemType Directory -Force C:\\ProgramData\\GuruRMM | Out-Null',
    '@"',
    ...agentToml(code, url, releaseKey),
    '"@ | Set-Content -Encoding UTF8 C:\\ProgramData\\GuruRMM\\agent.toml',
    '& "C:\\Program Files\\GuruRMM\\gururmm-agent.exe" --config C:\\ProgramData\\GuruRMM\\agent.toml install',
  ].join('\n');
}

export function RegistrationInstructions({
  code,
  siteName,
  remoteControl,
}: {
  code: string;
  siteName: string;
  /** Whether remote control is configured here, and GuruConnect's release key if known. */
  remoteControl?: { configured: boolean; releaseKey: string | null };
}) {
  const url = agentUrl();
  const releaseKey = remoteControl?.releaseKey ?? null;
  const linux = linuxInstructions(code, url, releaseKey);
  const windows = windowsInstructions(code, url, releaseKey);
  return (
    <section className="registration" aria-label={`Enrol a machine into ${siteName}`}>
      <p>
        Site code for <strong>{siteName}</strong>: <code data-testid="site-code">{code}</code>{' '}
        <CopyButton value={code} label={`Copy the site code of ${siteName}`} />
      </p>
      <p className="muted">
        Shown only now: the server keeps no readable copy. Regenerate it to get a new one (enrolled machines keep
        working).
      </p>
      {remoteControl?.configured && !releaseKey && (
        <p className="hint" role="note">
          These steps do not pin GuruConnect&apos;s release key, so Remote Control will refuse to start on machines
          enrolled with them: set <code>connect.release_public_key</code> on the GuruRMM server to include it here, or
          add <code>[remote_control] release_public_key</code> to each agent.toml.
        </p>
      )}
      <h4>Linux (systemd)</h4>
      <pre className="instructions">{linux}</pre>
      <CopyButton value={linux} label="Copy the Linux instructions" />
      <h4>Windows (service)</h4>
      <pre className="instructions">{windows}</pre>
      <CopyButton value={windows} label="Copy the Windows instructions" />
    </section>
  );
}
