// Users (admins): every account with its role, whether two-factor sign-in is on, and its last
// sign-in; disable one (its sign-ins end at once) or reset the second factor of someone who lost
// their phone. An admin cannot disable their own account nor reset their own second factor (that
// takes a current code, on the Security page); accounts are made with
// `gururmm-server admin create` until the API can.
import { useState } from 'react';
import { useAuth } from '../auth/AuthContext';
import { useUserAction, useUsers } from '../api/hooks';
import { ErrorBox } from '../components/ErrorBox';
import { timeAgo } from '../components/format';

export function UsersPage() {
  const users = useUsers();
  const action = useUserAction();
  const { user: me } = useAuth();
  const on = users.data?.filter((u) => u.second_factor).length ?? 0;
  return (
    <section className="users">
      <h1>Users</h1>
      <ErrorBox error={users.error ?? action.error} />
      {users.data && (
        <p role="status" className="summary">
          {users.data.length} {users.data.length === 1 ? 'account' : 'accounts'}, {on} with two-factor sign-in
        </p>
      )}
      <table className="data-table">
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Two-factor</th>
            <th scope="col">Status</th>
            <th scope="col">Last sign-in</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.data?.map((u) => (
            <tr key={u.id} data-user-id={u.id}>
              <td>
                {u.email}
                {u.id === me?.id && ' (you)'}
              </td>
              <td>{u.display_name}</td>
              <td>{u.role}</td>
              <td className="second-factor">{u.second_factor ? 'On' : 'Off'}</td>
              <td className="status">{u.disabled ? 'Disabled' : 'Active'}</td>
              <td title={u.last_login_at ?? undefined}>{timeAgo(u.last_login_at)}</td>
              <td className="actions">
                {u.second_factor && u.id !== me?.id && (
                  <Confirmed
                    label="Reset two-factor"
                    name={u.email}
                    question={`Remove ${u.email}'s authenticator? They sign in without a code until they set one up again (at their next sign-in, if their role must use one).`}
                    busy={action.isPending}
                    onConfirm={() => action.mutate({ id: u.id, action: 'second-factor/reset' })}
                  />
                )}
                {!u.disabled && u.id !== me?.id && (
                  <Confirmed
                    label="Disable"
                    name={u.email}
                    question={`Disable ${u.email}? Every sign-in of theirs ends at once.`}
                    busy={action.isPending}
                    onConfirm={() => action.mutate({ id: u.id, action: 'disable' })}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A button that asks in the page before `onConfirm` (the dashboard opens no native dialogs). */
function Confirmed(props: { label: string; name: string; question: string; busy: boolean; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" aria-label={`${props.label} ${props.name}`} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span role="group" aria-label={`Confirm: ${props.label} ${props.name}`} className="confirm">
      <span>{props.question}</span>
      <button
        type="button"
        className="danger"
        autoFocus
        disabled={props.busy}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        Yes, {props.label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
