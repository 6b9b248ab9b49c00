// The sign-in form. One message for every refusal, so it never tells which usernames exist.
// It says why the previous sign-in ended, when one did, and that GuruConnect accounts are its
// own: a GuruConnect username, not a GuruRMM email address.
import { type Api, ApiError } from "./api";
import { h } from "./dom";

export function loginPage(api: Api, done: () => void, endedBecause: string | null = null): HTMLElement {
  const error = h("p", { class: "error", role: "alert" });
  const notice = endedBecause ? h("p", { class: "notice", role: "status" }, endedBecause) : null;
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true, "aria-describedby": "username-hint" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
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
    submit,
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    notice?.remove();
    try {
      await api.login(username.value, password.value);
      done();
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.describe() : String(err);
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => username.focus());
  return h("main", { class: "centered" }, form);
}
