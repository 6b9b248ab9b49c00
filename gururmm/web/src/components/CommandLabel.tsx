// How a command is named wherever it is listed. A command a technician typed is shown as typed
// (its first line in lists); a remote-control launch is shown as the event it is, in the
// server's words ("Remote control (unattended) – GuruConnect 0.1.0 – session 1a2b3c4d"): the
// API never sends a launch's stored form. Lists show a bounded label; the full text wraps
// anywhere, so a long unbroken command cannot widen the page.
import type { Command } from '../api/types';

export const LAUNCH = 'remote_control_launch';

export function isLaunch(command: Pick<Command, 'command_type'>): boolean {
  return command.command_type === LAUNCH;
}

/** The command type as a technician reads it. */
export function commandTypeLabel(type: string): string {
  return type === LAUNCH ? 'remote control' : type;
}

/** Characters of a command's first line a list shows; the whole command is on its agent's page. */
export const LABEL_CHARS = 160;

/** One line naming the command, for lists and history summaries. */
export function CommandLabel({ command }: { command: Pick<Command, 'command_type' | 'command'> }) {
  if (isLaunch(command)) return <span className="command-event">{command.command}</span>;
  const line = command.command.split('\n')[0];
  const short = line.length > LABEL_CHARS ? `${line.slice(0, LABEL_CHARS)}…` : line;
  return (
    <code className="command-line" title={short === line ? undefined : line.slice(0, 4 * LABEL_CHARS)}>
      {short}
    </code>
  );
}

/** The whole command, for its result view. */
export function CommandText({ command }: { command: Pick<Command, 'command_type' | 'command'> }) {
  if (isLaunch(command)) return <p className="command-event">{command.command}</p>;
  return <pre className="command-text">{command.command}</pre>;
}
