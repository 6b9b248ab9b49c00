// Lists the operations of /api/openapi.json grouped by tag. Offline, no dependencies; all text
// is inserted with textContent so nothing in the document can run as markup.
"use strict";

function node(tag, text) {
  const n = document.createElement(tag);
  if (text !== undefined) n.textContent = text;
  return n;
}

function operation(path, method, op) {
  const item = node("details");
  const auth = op.security && op.security.length ? " [bearer]" : "";
  item.append(node("summary", method.toUpperCase() + " " + path + auth));
  if (op.description || op.summary) item.append(node("p", op.description || op.summary));
  const detail = { parameters: op.parameters || [], requestBody: op.requestBody || null, responses: op.responses };
  item.append(node("pre", JSON.stringify(detail, null, 2)));
  return item;
}

async function render() {
  const root = document.getElementById("api");
  const spec = await (await fetch("/api/openapi.json")).json();
  root.textContent = "";
  const groups = new Map();
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(operation(path, method, op));
    }
  }
  for (const [tag, items] of groups) {
    root.append(node("h2", tag), ...items);
  }
  root.append(node("h2", "schemas"), node("pre", JSON.stringify(spec.components.schemas, null, 2)));
}

render().catch((e) => { document.getElementById("api").textContent = "Failed to load: " + e; });
