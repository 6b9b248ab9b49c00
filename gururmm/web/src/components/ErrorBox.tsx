// Shows a failed request the same way everywhere: the server's own `detail`, and the
// correlation id a technician can quote (the server's log line carries the same id).
import { ApiError } from '../api/client';

export function describeError(error: unknown): { detail: string; correlationId: string | null } {
  if (error instanceof ApiError) return { detail: error.message, correlationId: error.correlationId };
  if (error instanceof Error) return { detail: error.message, correlationId: null };
  return { detail: 'Something went wrong.', correlationId: null };
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const { detail, correlationId } = describeError(error);
  return (
    <div role="alert" className="error-box">
      {title && <strong>{title}: </strong>}
      <span className="error-detail">{detail}</span>
      {correlationId && (
        <div className="error-id">
          Correlation id: <code>{correlationId}</code>
        </div>
      )}
    </div>
  );
}
