// Users (admins): every account with its role, whether two-factor sign-in is on, and its last
// sign-in; make an account, disable one (its sign-ins end at once), or reset the second
// factor of someone who lost their phone. An admin cannot disable their own account, nor reset
// their own second factor (that takes a current code, on the Security page).
import { type Api, ApiError, type User } from "./api";
import { h, relativeTime } from "./dom";

export function usersPage(api: Api, showError: (e: unknown) => void): HTMLElement {
  const body = h("tbody");
  const summary = h("p", { class: "summary", role: "status" });

  const load = async () => {
    try {
      const users = await api.users();
      body.replaceChildren(...users.map(row));
      const on = users.filter((u) => u.second_factor).length;
      summary.textContent = `${users.length} ${users.length === 1 ? "account" : "accounts"}, ${on} with two-factor sign-in`;
    } catch (e) {
      showError(e);
    }
  };

  /** A button that asks before `action`, then reloads the list. */
  const confirmed = (label: string, name: string, question: string, action: () => Promise<void>) => {
    const button = h("button", { type: "button", "aria-label": `${label} ${name}` }, label);
    button.addEventListener("click", async () => {
      if (!window.confirm(question)) return;
      try {
        await action();
      } catch (e) {
        showError(e);
      }
      await load();
    });
    return button;
  };

  const row = (u: User) => {
    const self = u.id === api.user?.id;
    const actions = h("span", { class: "actions" });
    if (u.second_factor && !self) {
      actions.append(
        confirmed("Reset two-factor", u.username, `Remove ${u.username}'s authenticator? They sign in without a code until they set one up again (at their next sign-in, if their role must use one).`, () => api.resetSecondFactor(u.id)),
      );
    }
    if (!u.disabled && !self) {
      actions.append(
        confirmed("Disable", u.username, `Disable ${u.username}? Every sign-in of theirs ends at once.`, () => api.disableUser(u.id)),
      );
    }
    const last = h("td", {}, relativeTime(u.last_login_at));
    if (u.last_login_at) last.title = u.last_login_at;
    return h(
      "tr",
      { "data-user-id": u.id },
      h("td", {}, u.username, self ? " (you)" : ""),
      h("td", {}, u.display_name),
      h("td", {}, u.role),
      h("td", { class: "second-factor" }, u.second_factor ? "On" : "Off"),
      h("td", { class: "status" }, u.disabled ? "Disabled" : "Active"),
      last,
      h("td", {}, actions),
    );
  };

  void load();
  return h(
    "section",
    { class: "page" },
    h("h1", {}, "Users"),
    createForm(api, load),
    summary,
    h("table", { class: "users" },
      h("thead", {}, h("tr", {}, ...["Username", "Name", "Role", "Two-factor", "Status", "Last sign-in", ""].map((t) => h("th", { scope: "col" }, t)))),
      body),
  );
}

/** Makes an account; its errors (a taken name, a short password) show beside it. */
function createForm(api: Api, created: () => Promise<void>): HTMLElement {
  const username = h("input", { id: "new-username", required: true, autocomplete: "off", maxlength: 64 });
  const displayName = h("input", { id: "new-display-name", maxlength: 100 });
  const role = h("select", { id: "new-role" }, h("option", { value: "technician" }, "Technician"), h("option", { value: "admin" }, "Admin"));
  const password = h("input", { id: "new-password", type: "password", required: true, autocomplete: "new-password" });
  const error = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit" }, "Create user");
  const form = h(
    "form",
    { class: "inline create-user", "aria-label": "New user" },
    h("label", { for: "new-username" }, "Username"), username,
    h("label", { for: "new-display-name" }, "Display name"), displayName,
    h("label", { for: "new-role" }, "Role"), role,
    h("label", { for: "new-password" }, "Password"), password,
    submit,
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    try {
      await api.createUser({ username: username.value.trim(), display_name: displayName.value.trim(), role: role.value, password: password.value });
      form.reset();
      await created();
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.describe() : String(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
