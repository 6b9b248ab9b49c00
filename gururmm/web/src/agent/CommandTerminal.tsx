// The command terminal: send a command of any type, then follow it from pending to running to
// its result in the history below (which polls quickly while something is in flight). Output
// is agent-supplied text and is only ever rendered as text.
import { useState } from 'react';
import type { FormEvent, KeyboardEvent } from 'react';
import { useCancelCommand, useCommands, useSendCommand } from '../api/hooks';
import { COMMAND_TYPES, type Command, type CommandType } from '../api/types';
import { CommandLabel, CommandText, commandTypeLabel } from '../components/CommandLabel';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { formatTime } from '../components/format';

const PLACEHOLDERS: Record<CommandType, string> = {
  shell: 'uname -a',
  powershell: 'Get-Service | Where-Object Status -eq Running',
  python: 'import platform; print(platform.platform())',
  script: '#!/bin/sh\necho hello',
  claude_task: 'Describe the task for the agent’s Claude executor',
};

function CommandResult({ command }: { command: Command }) {
  const cancel = useCancelCommand();
  const finished = command.status !== 'pending' && command.status !== 'running';
  return (
    <>
      <div className="command-meta">
        <StatusBadge status={command.status} />
        <span>{commandTypeLabel(command.command_type)}</span>
        {command.exit_code !== null && <span>exit {command.exit_code}</span>}
        {command.duration_ms !== null && <span>{command.duration_ms} ms</span>}
        <span>{formatTime(command.created_at)}</span>
        {command.status === 'pending' && (
          <button type="button" onClick={() => cancel.mutate(command.id)} disabled={cancel.isPending}>
            Cancel
          </button>
        )}
      </div>
      <ErrorBox error={cancel.error} title="Cancel" />
      <CommandText command={command} />
      {!finished && <p className="muted">Waiting for the agent…</p>}
      {command.stdout && (
        <pre className="output" aria-label="Standard output">
          {command.stdout}
        </pre>
      )}
      {command.stderr && (
        <pre className="output stderr" aria-label="Standard error">
          {command.stderr}
        </pre>
      )}
      {command.truncated && <p className="muted">Output was truncated by the agent.</p>}
    </>
  );
}

export function CommandTerminal({ agentId }: { agentId: string }) {
  const [type, setType] = useState<CommandType>('shell');
  const [text, setText] = useState('');
  const [timeout, setTimeoutSecs] = useState('');
  const [elevated, setElevated] = useState(false);
  const send = useSendCommand(agentId);
  const history = useCommands(agentId, 50);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!text.trim() || send.isPending) return;
    send.mutate(
      {
        command_type: type,
        command: text,
        timeout_seconds: timeout ? Number(timeout) : undefined,
        elevated,
      },
      { onSuccess: () => setText('') },
    );
  };

  // Ctrl+Enter (or Cmd+Enter) sends, as in most consoles; Enter alone makes a new line.
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) submit();
  };

  const [latest, ...older] = history.data ?? [];
  return (
    <section aria-labelledby="terminal-heading" className="panel">
      <h2 id="terminal-heading">Command terminal</h2>
      <form onSubmit={submit} className="terminal-form" aria-label="Send a command">
        <div className="row">
          <label>
            Type
            <select value={type} onChange={(e) => setType(e.target.value as CommandType)}>
              {COMMAND_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Timeout (s)
            <input
              type="number"
              min={1}
              inputMode="numeric"
              value={timeout}
              placeholder="server default"
              onChange={(e) => setTimeoutSecs(e.target.value)}
            />
          </label>
          <label
            className="checkbox"
            title="Run with the agent's administrative rights (root or SYSTEM). Unticked, the command runs with reduced rights."
          >
            <input type="checkbox" checked={elevated} onChange={(e) => setElevated(e.target.checked)} />
            Elevated
          </label>
        </div>
        <label htmlFor="command-text">Command</label>
        <textarea
          id="command-text"
          rows={3}
          value={text}
          placeholder={PLACEHOLDERS[type]}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          spellCheck={false}
        />
        <button type="submit" disabled={send.isPending || !text.trim()}>
          {send.isPending ? 'Sending…' : 'Send command'}
        </button>
        <span className="muted"> Ctrl+Enter sends.</span>
      </form>
      <ErrorBox error={send.error} title="Command not sent" />
      <ErrorBox error={history.error} title="Command history" />
      <h3>History</h3>
      {history.data?.length === 0 && <p>No commands sent to this agent yet.</p>}
      {latest && (
        <article className="command latest" aria-label="Latest command" data-command-id={latest.id}>
          <CommandResult command={latest} />
        </article>
      )}
      {older.map((c) => (
        <details key={c.id} className="command" data-command-id={c.id}>
          <summary>
            <StatusBadge status={c.status} /> <CommandLabel command={c} />
          </summary>
          <CommandResult command={c} />
        </details>
      ))}
    </section>
  );
}
