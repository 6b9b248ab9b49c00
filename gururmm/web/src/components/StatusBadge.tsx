// A coloured status word (agent presence, command state, alert severity). The word is always
// written out, so colour is never the only signal.
export function StatusBadge({ status }: { status: string }) {
  const kind = status.replace(/[^a-z_]/g, '');
  return <span className={`badge badge-${kind}`}>{status.replace('_', ' ')}</span>;
}
