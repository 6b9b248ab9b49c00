// Renders /api/openapi.json as a browsable list of endpoints. Deliberately small and dependency
// free so the docs work offline and under a strict CSP. Text goes in through textContent only.
"use strict";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function resolve(spec, schema) {
  if (schema && schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return { name, schema: spec.components.schemas[name] };
  }
  return { name: null, schema };
}

function schemaBlock(spec, schema) {
  const { name, schema: body } = resolve(spec, schema);
  const pre = el("pre");
  pre.textContent = (name ? name + " " : "") + JSON.stringify(body, null, 2);
  return pre;
}

function renderOperation(spec, path, method, op) {
  const box = el("details");
  const summary = el("summary");
  summary.append(el("span", "method " + method, method.toUpperCase()), el("span", "path", path));
  const auth = op.security && op.security.length ? "bearer token" : "public";
  summary.append(el("span", "auth", auth));
  box.append(summary);
  if (op.description || op.summary) box.append(el("p", null, op.description || op.summary));
  for (const p of op.parameters || []) {
    box.append(el("p", null, `${p.in} parameter ${p.name}${p.required ? " (required)" : ""}: ${p.description || ""}`));
  }
  const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  if (body) {
    box.append(el("h4", null, "Request body"), schemaBlock(spec, body.schema));
  }
  for (const [status, response] of Object.entries(op.responses || {})) {
    box.append(el("h4", null, `Response ${status}`));
    const content = response.content && response.content["application/json"];
    if (content) box.append(schemaBlock(spec, content.schema));
  }
  return box;
}

async function main() {
  const target = document.getElementById("endpoints");
  const spec = await (await fetch("/api/openapi.json")).json();
  target.textContent = "";
  const byTag = new Map();
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(renderOperation(spec, path, method, op));
    }
  }
  for (const [tag, ops] of byTag) {
    target.append(el("h2", null, tag), ...ops);
  }
}

main().catch((err) => {
  document.getElementById("endpoints").textContent = "Could not load the API description: " + err;
});
