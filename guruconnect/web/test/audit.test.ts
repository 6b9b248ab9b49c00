import { describe, expect, it } from "vitest";
import { detailText } from "../src/app/audit";

describe("detailText", () => {
  it("lists an event's facts as text, strings bare and the rest as JSON", () => {
    expect(detailText({ username: "admin", attempts: 3, reasons: ["a", "b"] })).toBe(
      'username: admin, attempts: 3, reasons: ["a","b"]',
    );
  });

  it("shows nothing for a detail that is not an object", () => {
    expect(detailText(null)).toBe("");
    expect(detailText("text")).toBe("");
  });
});
