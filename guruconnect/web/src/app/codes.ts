// Support codes (attended sessions): create one, read it to the end user with the steps they
// follow, and see or cancel the codes still pending.
import type { Api, SupportCode } from "./api";
import { h, relativeTime } from "./dom";

export function codesPage(api: Api, showError: (e: unknown) => void): HTMLElement {
  const note = h("input", { id: "code-note", maxlength: 200, placeholder: "e.g. ticket 4312, printer issue" });
  const created = h("div", { class: "created-code", "aria-live": "polite" });
  const body = h("tbody");
  const load = async () => {
    try {
      const codes = await api.codes();
      body.replaceChildren(...codes.map(row));
    } catch (e) {
      showError(e);
    }
  };
  const row = (c: SupportCode) => {
    const cancel = h("button", { type: "button" }, "Cancel");
    cancel.addEventListener("click", async () => {
      try {
        await api.cancelCode(c.id);
      } catch (e) {
        showError(e);
      }
      await load();
    });
    return h("tr", {},
      h("td", {}, `…${c.code_hint}`),
      h("td", {}, c.note),
      h("td", {}, c.status),
      h("td", {}, relativeTime(c.created_at)),
      h("td", {}, c.status === "pending" ? cancel : null));
  };
  const form = h("form", { class: "inline" },
    h("label", { for: "code-note" }, "Note"), note,
    h("button", { type: "submit", class: "primary" }, "Create support code"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const code = await api.createCode(note.value);
      created.replaceChildren(
        h("p", {}, "Read this code to the person you are helping:"),
        h("p", { class: "code", "data-testid": "support-code" }, code.code),
        h("ol", {},
          h("li", {}, "Download the GuruConnect agent you sent them."),
          h("li", {}, "Start it with the code: ", h("code", {}, `guruconnect-agent run --support-code ${code.code}`)),
          h("li", {}, "Keep it running: the session ends when it closes."),
        ),
        h("p", { class: "hint" }, `The code works once and expires ${new Date(code.expires_at).toLocaleTimeString()}.`),
      );
      note.value = "";
      await load();
    } catch (err) {
      showError(err);
    }
  });
  void load();
  return h("section", { class: "page" }, h("h1", {}, "Support codes"), form, created,
    h("table", { class: "codes" },
      h("thead", {}, h("tr", {}, ...["Code", "Note", "Status", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
      body));
}
