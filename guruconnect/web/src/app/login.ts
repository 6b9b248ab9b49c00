// The sign-in form. One message for every refusal, so it never tells which usernames exist.
// It says why the previous sign-in ended, when one did, and that GuruConnect accounts are its
// own: a GuruConnect username, not a GuruRMM email address. When the server answers that the
// account has two-factor sign-in, the form asks for the authenticator's code (or a recovery
// code) and offers to remember this browser. When the server has single sign-on, a button
// leads to the identity provider; coming back from it, the form finishes that sign-in (asking
// for the code the same way) or says in plain words why it did not work.
import { type Api, ApiError } from "./api";
import { h } from "./dom";

/** How the browser came back from the identity provider: the query the server's callback set. */
export type SsoArrival = { finish: boolean; error: string | null };

export function ssoArrival(search: string): SsoArrival {
  const query = new URLSearchParams(search);
  return { finish: query.get("sso") === "finish", error: query.get("sso_error") };
}

const SSO_ERRORS: Record<string, string> = {
  no_account:
    "Your identity provider signed you in, but no GuruConnect account has that email address as its username, or the provider did not confirm the address. Ask an admin to create the account.",
  account_disabled: "This GuruConnect account is disabled.",
  not_started: "That single sign-on was not started in this browser, or took more than 10 minutes. Try again.",
  provider_refused: "The identity provider did not sign you in.",
  provider_unavailable: "The identity provider cannot be reached right now. Try again, or sign in with your password.",
  verification_failed: "The identity provider's answer failed verification. Ask an admin to check the single sign-on settings.",
  not_configured: "Single sign-on is not set up on this server.",
  too_many_attempts: "Too many single sign-ons failed from this network. Wait a few minutes, or sign in with your password.",
};

export function ssoErrorText(code: string): string {
  return SSO_ERRORS[code] ?? "Single sign-on did not work. Try again, or sign in with your password.";
}

export function loginPage(
  api: Api,
  done: () => void,
  endedBecause: string | null = null,
  arrival: SsoArrival = { finish: false, error: null },
): HTMLElement {
  const error = h("p", { class: "error", role: "alert" }, arrival.error ? ssoErrorText(arrival.error) : "");
  const notice = endedBecause ? h("p", { class: "notice", role: "status" }, endedBecause) : null;
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true, "aria-describedby": "username-hint" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const code = h("input", { id: "code", name: "code", autocomplete: "one-time-code", inputmode: "numeric", "aria-describedby": "code-hint" });
  const remember = h("input", { id: "remember", type: "checkbox" });
  const secondStep = h(
    "div",
    { class: "second-step", hidden: true },
    h("label", { for: "code" }, "Authentication code"),
    code,
    h("p", { id: "code-hint", class: "hint" }, "The 6-digit code from your authenticator app, or one of your recovery codes."),
    h("label", { class: "check" }, remember, " Remember this browser for 30 days"),
  );
  const submit = h("button", { type: "submit" }, "Sign in");
  const credentials = h(
    "div",
    { class: "credentials" },
    h("label", { for: "username" }, "GuruConnect username"),
    username,
    h("p", { id: "username-hint", class: "hint" }, "Your GuruConnect account, not your GuruRMM email."),
    h("label", { for: "password" }, "Password"),
    password,
  );
  // After a refusal the provider may have signed in the wrong account: ask it to sign in again.
  const ssoStart = arrival.error ? "/api/auth/sso/start?sign_in_again=true" : "/api/auth/sso/start";
  const sso = h("a", { class: "button secondary sso", href: ssoStart, hidden: true });
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "GuruConnect"),
    notice,
    credentials,
    secondStep,
    submit,
    sso,
    error,
  );
  // Finishing a single sign-on: only the second step (if any) is left to ask.
  let viaSso = arrival.finish;
  if (viaSso) {
    credentials.hidden = true;
    username.required = false;
    password.required = false;
  }
  void api
    .ssoOptions()
    .then((options) => {
      if (!options.enabled || viaSso) return;
      sso.textContent = `Sign in with ${options.name ?? "single sign-on"}`;
      sso.hidden = false;
    })
    .catch(() => undefined);
  const askForCode = () => {
    secondStep.hidden = false;
    code.required = true;
    code.value = "";
    code.focus();
  };
  const attempt = async () => {
    submit.disabled = true;
    error.textContent = "";
    notice?.remove();
    try {
      const withCode = secondStep.hidden ? undefined : code.value.trim();
      if (viaSso) await api.finishSso(withCode, remember.checked);
      else await api.login(username.value, password.value, withCode, remember.checked);
      done();
    } catch (err) {
      if (err instanceof ApiError && err.code === "second_factor_required") {
        askForCode();
      } else if (err instanceof ApiError && err.code === "second_factor_invalid") {
        error.textContent = err.describe();
        code.select();
      } else if (viaSso) {
        // The ticket is gone (used, expired, or the server restarted): back to the choice.
        viaSso = false;
        credentials.hidden = false;
        username.required = true;
        password.required = true;
        secondStep.hidden = true;
        code.required = false;
        error.textContent = err instanceof ApiError ? err.describe() : String(err);
        void api.ssoOptions().then((options) => {
          sso.textContent = `Sign in with ${options.name ?? "single sign-on"}`;
          sso.hidden = !options.enabled;
        }).catch(() => undefined);
      } else {
        error.textContent = err instanceof ApiError ? err.describe() : String(err);
        password.select();
      }
    } finally {
      submit.disabled = false;
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void attempt();
  });
  if (viaSso) void attempt();
  else queueMicrotask(() => username.focus());
  return h("main", { class: "centered" }, form);
}
