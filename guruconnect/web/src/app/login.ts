// The sign-in form. One message for every refusal, so it never tells which usernames exist.
// It says why the previous sign-in ended, when one did, and that GuruConnect accounts are its
// own: a GuruConnect username, not a GuruRMM email address. When the server answers that the
// account has two-factor sign-in, the form asks for the authenticator's code (or a recovery
// code) and offers to remember this browser.
import { type Api, ApiError } from "./api";
import { h } from "./dom";

export function loginPage(api: Api, done: () => void, endedBecause: string | null = null): HTMLElement {
  const error = h("p", { class: "error", role: "alert" });
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
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "GuruConnect"),
    notice,
    h("label", { for: "username" }, "GuruConnect username"),
    username,
    h("p", { id: "username-hint", class: "hint" }, "Your GuruConnect account, not your GuruRMM email."),
    h("label", { for: "password" }, "Password"),
    password,
    secondStep,
    submit,
    error,
  );
  const askForCode = () => {
    secondStep.hidden = false;
    code.required = true;
    code.value = "";
    code.focus();
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    notice?.remove();
    try {
      const withCode = secondStep.hidden ? undefined : code.value.trim();
      await api.login(username.value, password.value, withCode, remember.checked);
      done();
    } catch (err) {
      if (err instanceof ApiError && err.code === "second_factor_required") {
        askForCode();
      } else if (err instanceof ApiError && err.code === "second_factor_invalid") {
        error.textContent = err.describe();
        code.select();
      } else {
        error.textContent = err instanceof ApiError ? err.describe() : String(err);
        password.select();
      }
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => username.focus());
  return h("main", { class: "centered" }, form);
}
