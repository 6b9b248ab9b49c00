// TypeScript types from an OpenAPI 3.1 document's component schemas, for the web front ends
// (each runs it as `npm run gen:api` and checks its output is current in a unit test).
// It covers the schema forms the two servers' utoipa derives produce and throws on any other,
// naming where, so a new form is added here on purpose rather than typed loosely.
//
//   node kit/api-types/openapi-types.mjs <openapi.json> <out.ts>

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const KNOWN_KEYS = new Set([
  "type", "properties", "required", "items", "enum", "$ref", "allOf", "oneOf",
  "additionalProperties", "description", "format", "minimum", "maximum", "default", "example",
]);

/** The module text: one exported type per component schema, in the document's order. */
export function typesFromOpenApi(doc) {
  const schemas = doc?.components?.schemas ?? {};
  const blocks = Object.entries(schemas).map(
    ([name, schema]) => `${comment(schema.description, "")}export type ${name} = ${render(schema, name, "")};\n`,
  );
  const source = doc?.info?.title ?? "an OpenAPI document";
  return `// Generated from the ${source} document by kit/api-types/openapi-types.mjs (npm run gen:api).\n// Do not edit: change the server's types and regenerate.\n\n${blocks.join("\n")}`;
}

function render(schema, where, indent) {
  if (schema === true || (isObject(schema) && Object.keys(schema).every((k) => k === "description"))) {
    return "unknown";
  }
  if (!isObject(schema)) throw new Error(`${where}: not a schema: ${JSON.stringify(schema)}`);
  const unknownKey = Object.keys(schema).find((k) => !KNOWN_KEYS.has(k));
  if (unknownKey) throw new Error(`${where}: schema keyword \`${unknownKey}\` is not supported`);
  if (schema.$ref) return refName(schema.$ref, where);
  if (schema.allOf) return schema.allOf.map((arm, i) => wrap(render(arm, `${where}.allOf[${i}]`, indent))).join(" & ");
  if (schema.oneOf) return union(schema.oneOf.map((arm, i) => render(arm, `${where}.oneOf[${i}]`, indent)));
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (schema.enum) {
    const literals = schema.enum.map((v) => (v === null ? "null" : JSON.stringify(v)));
    return union(types.includes("null") ? [...literals, "null"] : literals);
  }
  return union(types.map((type) => renderType(type, schema, where, indent)));
}

function renderType(type, schema, where, indent) {
  switch (type) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array":
      if (!schema.items) throw new Error(`${where}: an array without items`);
      return `${wrap(render(schema.items, `${where}[]`, indent))}[]`;
    case "object":
      return renderObject(schema, where, indent);
    default:
      throw new Error(`${where}: type \`${type}\` is not supported`);
  }
}

function renderObject(schema, where, indent) {
  const properties = Object.entries(schema.properties ?? {});
  const extra = schema.additionalProperties;
  if (properties.length === 0) {
    if (extra === false) return "Record<string, never>";
    return `Record<string, ${isObject(extra) ? render(extra, `${where}{}`, indent) : "unknown"}>`;
  }
  const required = new Set(schema.required ?? []);
  const inner = `${indent}  `;
  const lines = properties.map(
    ([name, property]) =>
      `${comment(property.description, inner)}${inner}${key(name)}${required.has(name) ? "" : "?"}: ${render(property, `${where}.${name}`, inner)};\n`,
  );
  if (isObject(extra)) lines.push(`${inner}[key: string]: ${render(extra, `${where}{}`, inner)};\n`);
  return `{\n${lines.join("")}${indent}}`;
}

function refName(ref, where) {
  const prefix = "#/components/schemas/";
  if (!ref.startsWith(prefix)) throw new Error(`${where}: only component references are supported: ${ref}`);
  return ref.slice(prefix.length);
}

function union(parts) {
  return [...new Set(parts)].join(" | ");
}

/** Parenthesised where it joins an intersection or precedes `[]` (harmless when not needed). */
function wrap(type) {
  return / [|&] /.test(type) ? `(${type})` : type;
}

function key(name) {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

function comment(text, indent) {
  if (!text) return "";
  const lines = String(text).replaceAll("*/", "*\\/").split("\n");
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} *${l ? ` ${l}` : ""}`).join("\n")}\n${indent} */\n`;
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error("usage: node openapi-types.mjs <openapi.json> <out.ts>");
    process.exit(2);
  }
  const doc = JSON.parse(readFileSync(input, "utf8"));
  writeFileSync(output, typesFromOpenApi(doc));
}
