// Security (every signed-in person): two-factor sign-in with an authenticator app. Set it up
// (scan the QR code or type the key, then prove it with a code), see the recovery codes once,
// make new ones, or turn it off — both with a current code. When the person's role must use
// it, the page says so and offers no way to turn it off.
import { type Api, ApiError, type SecondFactorStatus } from "./api";
import { h } from "./dom";

export function securityPage(api: Api, showError: (e: unknown) => void): HTMLElement {
  const body = h("div", { class: "security" });
  const show = (...children: (Node | null)[]) => body.replaceChildren(...children.filter((c): c is Node => c !== null));

  const load = async () => {
    try {
      overview(await api.secondFactor());
    } catch (e) {
      showError(e);
    }
  };

  const overview = (status: SecondFactorStatus) => {
    const demanded =
      status.required && !status.enabled
        ? h("p", { class: "notice", role: "status" }, "Your role must sign in with a second factor. Set it up to use GuruConnect.")
        : null;
    if (!status.enabled) {
      const start = h("button", { type: "button" }, "Set up two-factor sign-in");
      start.addEventListener("click", () => void setUp());
      show(demanded, h("p", {}, "Two-factor sign-in is off: your password alone signs you in."), start);
      return;
    }
    const renew = codeForm("New recovery codes", async (code) => recoveryCodes(await api.newRecoveryCodes(code)));
    const turnOff = status.required
      ? h("p", { class: "hint" }, "Your role must use two-factor sign-in, so it cannot be turned off here. An admin can reset it if you lose your phone.")
      : codeForm("Turn off", async (code) => {
          await api.turnOffSecondFactor(code);
          await load();
        });
    show(
      h("p", { role: "status" }, `Two-factor sign-in is on. ${status.recovery_codes_left} of 10 recovery codes left.`),
      h("h2", {}, "Recovery codes"),
      h("p", { class: "hint" }, "Make a new set when you have used some or fear they were seen; the old set stops working."),
      renew,
      h("h2", {}, "Turn off two-factor sign-in"),
      turnOff,
    );
  };

  const setUp = async () => {
    let setup;
    try {
      setup = await api.setUpSecondFactor();
    } catch (e) {
      showError(e);
      return;
    }
    const key = setup.secret.replace(/(.{4})/g, "$1 ").trim();
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    cancel.addEventListener("click", () => void load());
    show(
      h("h2", {}, "Add GuruConnect to your authenticator app"),
      h("img", { class: "qr", src: setup.qr_data_url, alt: "QR code for your authenticator app", width: 200, height: 200 }),
      h("p", {}, "Can't scan it? Enter this key in the app: ", h("code", { class: "secret" }, key)),
      codeForm("Turn on", async (code) => recoveryCodes(await api.confirmSecondFactor(code))),
      cancel,
    );
  };

  const recoveryCodes = (codes: string[]) => {
    const saved = h("button", { type: "button" }, "I have saved these codes");
    saved.addEventListener("click", () => void load());
    show(
      h("h2", {}, "Your recovery codes"),
      h("p", { class: "notice", role: "status" }, "Save these somewhere safe. Each one signs you in once if you lose your phone. They are not shown again."),
      h("ol", { class: "recovery-codes", "aria-label": "Recovery codes" }, ...codes.map((c) => h("li", {}, h("code", {}, c)))),
      saved,
    );
  };

  /** An inline form asking for a current code before `action`; its errors show beside it. */
  const codeForm = (label: string, action: (code: string) => Promise<void>) => {
    const id = `code-${label.toLowerCase().replace(/\W+/g, "-")}`;
    const input = h("input", { id, autocomplete: "one-time-code", inputmode: "numeric", required: true });
    const error = h("p", { class: "error", role: "alert" });
    const submit = h("button", { type: "submit" }, label);
    const form = h("form", { class: "code-form" }, h("label", { for: id }, "Code from your authenticator app"), input, submit, error);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      submit.disabled = true;
      error.textContent = "";
      try {
        await action(input.value.trim());
      } catch (err) {
        error.textContent = err instanceof ApiError ? err.describe() : String(err);
        input.select();
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  };

  void load();
  return h("section", { class: "page" }, h("h1", {}, "Security"), body);
}
