// The frame around every signed-in page: a skip link, the navigation, who is signed in, and the
// main landmark the pages render into. Someone whose role must use two-factor sign-in and has
// not set it up is taken to the Security page (the server refuses them everything else).
import { Navigate, NavLink, Outlet, useLocation } from 'react-router-dom';
import { useSecondFactor } from '../api/hooks';
import { useAuth, useIsAdmin } from '../auth/AuthContext';

const LINKS = [
  { to: '/', label: 'Overview', end: true },
  { to: '/agents', label: 'Agents' },
  { to: '/clients', label: 'Clients & sites' },
  { to: '/commands', label: 'Commands' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/security', label: 'Security' },
  { to: '/users', label: 'Users', adminOnly: true },
];

export function Layout() {
  const { user, signOut } = useAuth();
  const isAdmin = useIsAdmin();
  const secondFactor = useSecondFactor();
  const location = useLocation();
  const mustSetUp = secondFactor.data?.required && !secondFactor.data.enabled;
  if (mustSetUp && location.pathname !== '/security') return <Navigate to="/security" replace />;
  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">GuruRMM</span>
        <nav aria-label="Main">
          <ul>
            {LINKS.filter((link) => isAdmin || !link.adminOnly).map((link) => (
              <li key={link.to}>
                <NavLink to={link.to} end={link.end}>
                  {link.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="whoami">
          <span>{user?.email}</span>
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
