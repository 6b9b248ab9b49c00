// The generator's forms, one per schema shape the servers derive, and its refusals
// (node --test kit/api-types).

import assert from "node:assert/strict";
import { test } from "node:test";
import { typesFromOpenApi } from "./openapi-types.mjs";

function typeOf(name, schemas) {
  const text = typesFromOpenApi({ info: { title: "Test API" }, components: { schemas } });
  const found = new RegExp(`export type ${name} = ([\\s\\S]*?);\\n(?:\\n|$)`).exec(text);
  assert.ok(found, text);
  return found[1];
}

test("an object lists its properties in order, optional ones marked", () => {
  const schemas = {
    Agent: {
      type: "object",
      required: ["id", "seen"],
      properties: {
        id: { type: "string" },
        seen: { type: ["string", "null"], description: "When." },
        count: { type: "integer", format: "int64" },
      },
    },
  };
  const text = typesFromOpenApi({ info: { title: "Test API" }, components: { schemas } });
  assert.match(text, /export type Agent = \{\n {2}id: string;\n {2}\/\*\* When\. \*\/\n {2}seen: string \| null;\n {2}count\?: number;\n\};/);
  assert.match(text, /^\/\/ Generated from the Test API document/);
});

test("enums become literal unions, references names, arrays of unions are parenthesised", () => {
  assert.equal(typeOf("Status", { Status: { type: "string", enum: ["on", "off"] } }), '"on" | "off"');
  assert.equal(
    typeOf("List", { List: { type: "array", items: { type: ["string", "null"] } } }),
    "(string | null)[]",
  );
  assert.equal(
    typeOf("Maybe", { Maybe: { oneOf: [{ type: "null" }, { $ref: "#/components/schemas/Status" }] } }),
    "null | Status",
  );
});

test("allOf is an intersection; free-form and closed empty objects are records", () => {
  const extended = typeOf("Listed", {
    Listed: {
      allOf: [
        { $ref: "#/components/schemas/Base" },
        { type: "object", required: ["host"], properties: { host: { type: "string" } } },
      ],
    },
  });
  assert.equal(extended, "Base & {\n  host: string;\n}");
  assert.equal(typeOf("Free", { Free: { type: "object" } }), "Record<string, unknown>");
  assert.equal(typeOf("Empty", { Empty: { type: "object", additionalProperties: false } }), "Record<string, never>");
  assert.equal(
    typeOf("Map", { Map: { type: "object", additionalProperties: { type: "integer" } } }),
    "Record<string, number>",
  );
});

test("a property name that is not an identifier is quoted, a comment cannot end early", () => {
  const text = typesFromOpenApi({
    components: {
      schemas: {
        Odd: {
          type: "object",
          required: ["x-y"],
          properties: { "x-y": { type: "boolean", description: "ends */ here" } },
        },
      },
    },
  });
  assert.match(text, /"x-y": boolean;/);
  assert.match(text, /ends \*\\\/ here/);
});

test("a form it does not know is refused, naming where", () => {
  assert.throws(
    () => typesFromOpenApi({ components: { schemas: { A: { anyOf: [{ type: "string" }] } } } }),
    /A: schema keyword `anyOf` is not supported/,
  );
  assert.throws(
    () =>
      typesFromOpenApi({
        components: { schemas: { B: { type: "object", properties: { when: { type: "date" } } } } },
      }),
    /B\.when: type `date` is not supported/,
  );
  assert.throws(
    () => typesFromOpenApi({ components: { schemas: { C: { $ref: "other.json#/X" } } } }),
    /C: only component references/,
  );
});
