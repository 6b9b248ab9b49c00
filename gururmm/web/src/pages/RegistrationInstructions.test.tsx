// Enrolment instructions carry the site code and this server's agent URL.
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { RegistrationInstructions, agentUrl, linuxInstructions, windowsInstructions } from './RegistrationInstructions';

describe('registration instructions', () => {
  it('derives the agent socket URL from the page origin', () => {
    expect(agentUrl({ protocol: 'https:', host: 'rmm.example.com' })).toBe('wss://rmm.example.com/ws');
    expect(agentUrl({ protocol: 'http:', host: '127.0.0.1:3001' })).toBe('ws://127.0.0.1:3001/ws');
  });

  it('puts the code and URL in both platforms’ steps', () => {
    for (const text of [linuxInstructions('DARK-GROVE-7839', 'wss://h/ws'), windowsInstructions('DARK-GROVE-7839', 'wss://h/ws')]) {
      expect(text).toContain('api_key = "DARK-GROVE-7839"');
      expect(text).toContain('url = "wss://h/ws"');
    }
    expect(linuxInstructions('C', 'u')).toContain('systemctl enable --now gururmm-agent');
    expect(windowsInstructions('C', 'u')).toContain('gururmm-agent.exe" --config C:\\ProgramData\\GuruRMM\\agent.toml install');
  });

  it('pins GuruConnect’s release key when the server knows it, and says so when it does not', () => {
    const linux = linuxInstructions('C-D-1', 'wss://h/ws', { releaseKey: 'KEYBASE64=' });
    expect(linux).toContain('[remote_control]\nrelease_public_key = "KEYBASE64="\nEOF');
    expect(windowsInstructions('C-D-1', 'wss://h/ws', { releaseKey: 'KEYBASE64=' })).toContain('release_public_key = "KEYBASE64="');
    expect(linuxInstructions('C-D-1', 'wss://h/ws')).not.toContain('remote_control');
    const { unmount } = render(
      <RegistrationInstructions code="A-B-1" siteName="HQ" remoteControl={{ configured: true, releaseKey: null }} />,
    );
    expect(screen.getByRole('note')).toHaveTextContent('Remote Control will refuse to start');
    unmount();
    render(<RegistrationInstructions code="A-B-1" siteName="HQ" remoteControl={{ configured: true, releaseKey: 'K=' }} />);
    expect(screen.queryByRole('note')).not.toBeInTheDocument();
  });

  it('installs a private CA for GuruConnect’s relay and points the agent at it', () => {
    const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const linux = linuxInstructions('C-D-1', 'wss://h/ws', { releaseKey: 'K=', caPem });
    expect(linux).toContain(
      "sudo install -m 0644 /dev/stdin /etc/gururmm/guruconnect-ca.pem <<'EOF'\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\nEOF",
    );
    expect(linux).toContain("ca_cert = '/etc/gururmm/guruconnect-ca.pem'");
    const windows = windowsInstructions('C-D-1', 'wss://h/ws', { caPem });
    expect(windows).toContain('"@ | Set-Content -Encoding ASCII C:\\ProgramData\\GuruRMM\\guruconnect-ca.pem');
    expect(windows).toContain("ca_cert = 'C:\\ProgramData\\GuruRMM\\guruconnect-ca.pem'");
  });

  it('labels its copy buttons', () => {
    render(<RegistrationInstructions code="A-B-1" siteName="HQ" />);
    expect(screen.getByRole('button', { name: 'Copy the site code of HQ' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Copy the Linux instructions' })).toBeInTheDocument();
    expect(screen.getByTestId('site-code')).toHaveTextContent('A-B-1');
  });
});
