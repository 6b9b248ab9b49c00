// How to enrol a machine into a site, for Linux (systemd) and Windows (service), with the
// site code, this server's agent URL and (when configured) GuruConnect's release key filled in. The code is only known right after the
// site was created or its code regenerated (the server keeps a keyed hash), so this shows
// whenever the page has one.
import { CopyButton } from '../components/CopyButton';

/** The agents' WebSocket URL on the server this page came from. */
export function agentUrl(location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

/** What Remote Control needs on each machine, when this server knows it. */
export interface RemoteControlTrust {
  /** GuruConnect's release key: the agent pins it to verify the GuruConnect agent it runs. */
  releaseKey?: string | null;
  /** The private CA (PEM) GuruConnect's relay certificate chains to. */
  caPem?: string | null;
}

const LINUX_CA = '/etc/gururmm/guruconnect-ca.pem';
const WINDOWS_CA = 'C:\\ProgramData\\GuruRMM\\guruconnect-ca.pem';

/** agent.toml for a new machine: the server and site code, and what Remote Control needs. */
export function agentToml(code: string, url: string, trust: RemoteControlTrust = {}, caPath = LINUX_CA): string[] {
  const lines = ['[server]', `url = "${url}"`, `api_key = "${code}"`];
  if (trust.releaseKey || trust.caPem) lines.push('', '[remote_control]');
  if (trust.releaseKey) lines.push(`release_public_key = "${trust.releaseKey}"`);
  // A TOML literal string: Windows backslashes stay as they are.
  if (trust.caPem) lines.push(`ca_cert = '${caPath}'`);
  return lines;
}

const pemLines = (pem: string) => pem.trim().split('\n');

export function linuxInstructions(code: string, url: string, trust: RemoteControlTrust = {}): string {
  const ca = trust.caPem
    ? [`sudo install -m 0644 /dev/stdin ${LINUX_CA} <<'EOF'`, ...pemLines(trust.caPem), 'EOF']
    : [];
  return [
    'sudo install -d -m 0755 /etc/gururmm',
    ...ca,
    "sudo install -m 0600 /dev/stdin /etc/gururmm/agent.toml <<'EOF'",
    ...agentToml(code, url, trust, LINUX_CA),
    'EOF',
    'sudo gururmm-agent --config /etc/gururmm/agent.toml check-config',
    'sudo cp gururmm-agent.service /etc/systemd/system/   # from gururmm/packaging/',
    'sudo systemctl enable --now gururmm-agent',
  ].join('\n');
}

export function windowsInstructions(code: string, url: string, trust: RemoteControlTrust = {}): string {
  const ca = trust.caPem ? ['@"', ...pemLines(trust.caPem), `"@ | Set-Content -Encoding ASCII ${WINDOWS_CA}`] : [];
  return [
    '# PowerShell, as Administrator',
    'New-Item -ItemType Directory -Force C:\\ProgramData\\GuruRMM | Out-Null',
    ...ca,
    '@"',
    ...agentToml(code, url, trust, WINDOWS_CA),
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
  /** Whether remote control is configured here, and what machines need for it. */
  remoteControl?: { configured: boolean } & RemoteControlTrust;
}) {
  const url = agentUrl();
  const releaseKey = remoteControl?.releaseKey ?? null;
  const linux = linuxInstructions(code, url, remoteControl);
  const windows = windowsInstructions(code, url, remoteControl);
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
