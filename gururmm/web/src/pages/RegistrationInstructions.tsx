// How to enrol a machine into a site, for Linux (systemd) and Windows (service), with the
// site code and this server's agent URL filled in. The code is only known right after the
// site was created or its code regenerated (the server keeps a keyed hash), so this shows
// whenever the page has one.
import { CopyButton } from '../components/CopyButton';

/** The agents' WebSocket URL on the server this page came from. */
export function agentUrl(location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

export function linuxInstructions(code: string, url: string): string {
  return [
    'sudo install -d -m 0755 /etc/gururmm',
    "sudo install -m 0600 /dev/stdin /etc/gururmm/agent.toml <<'EOF'",
    '[server]',
    `url = "${url}"`,
    `api_key = "${code}"`,
    'EOF',
    'sudo gururmm-agent --config /etc/gururmm/agent.toml check-config',
    'sudo cp gururmm-agent.service /etc/systemd/system/   # from gururmm/packaging/',
    'sudo systemctl enable --now gururmm-agent',
  ].join('\n');
}

export function windowsInstructions(code: string, url: string): string {
  return [
    '# PowerShell, as Administrator',
    'New-Item -ItemType Directory -Force C:\\ProgramData\\GuruRMM | Out-Null',
    '@"',
    '[server]',
    `url = "${url}"`,
    `api_key = "${code}"`,
    '"@ | Set-Content -Encoding UTF8 C:\\ProgramData\\GuruRMM\\agent.toml',
    '& "C:\\Program Files\\GuruRMM\\gururmm-agent.exe" --config C:\\ProgramData\\GuruRMM\\agent.toml install',
  ].join('\n');
}

export function RegistrationInstructions({ code, siteName }: { code: string; siteName: string }) {
  const url = agentUrl();
  const linux = linuxInstructions(code, url);
  const windows = windowsInstructions(code, url);
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
      <h4>Linux (systemd)</h4>
      <pre className="instructions">{linux}</pre>
      <CopyButton value={linux} label="Copy the Linux instructions" />
      <h4>Windows (service)</h4>
      <pre className="instructions">{windows}</pre>
      <CopyButton value={windows} label="Copy the Windows instructions" />
    </section>
  );
}
