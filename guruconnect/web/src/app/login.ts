// The sign-in form. One message for every refusal, so it never tells which usernames exist.
import { type Api, ApiError } from "./api";
import { h } from "./dom";

export function loginPage(api: Api, done: () => void): HTMLElement {
  const error = h("p", { class: "error", role: "alert" });
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "GuruConnect"),
    h("label", { for: "username" }, "Username"),
    username,
    h("label", { for: "password" }, "Password"),
    password,
    submit,
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = "";
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
