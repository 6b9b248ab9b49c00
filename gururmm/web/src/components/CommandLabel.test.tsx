// How commands are named in lists: typed ones by their (bounded) first line, launches as events.
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { CommandLabel, LABEL_CHARS, commandTypeLabel } from './CommandLabel';

describe('CommandLabel', () => {
  it('shows the first line of a typed command, bounded, the rest in its title', () => {
    const long = `echo ${'x'.repeat(500)}\necho second`;
    render(<CommandLabel command={{ command_type: 'shell', command: long }} />);
    const label = screen.getByText(/^echo x+…$/);
    expect(label.textContent).toHaveLength(LABEL_CHARS + 1);
    expect(label.title.startsWith('echo xxx')).toBe(true);
    expect(label.title).not.toContain('second');
  });

  it('shows a short command whole, without a title', () => {
    render(<CommandLabel command={{ command_type: 'shell', command: 'uptime' }} />);
    expect(screen.getByText('uptime')).not.toHaveAttribute('title');
  });

  it('names a launch as the remote-control event the server describes', () => {
    const event = 'Remote control (attended) – GuruConnect 0.1.0 – session 0f1e2d3c';
    render(<CommandLabel command={{ command_type: 'remote_control_launch', command: event }} />);
    expect(screen.getByText(event)).toHaveClass('command-event');
    expect(commandTypeLabel('remote_control_launch')).toBe('remote control');
    expect(commandTypeLabel('shell')).toBe('shell');
  });
});
