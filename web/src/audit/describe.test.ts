import { describe, expect, it } from "vitest";
import { actionWords, auditDetails, auditTarget } from "./describe";

describe("audit events in words", () => {
  it("names the file of a package event", () => {
    const event = {
      at: "2026-09-21T14:13:53Z",
      actor: "alice",
      action: "package.delete",
      details: { subdir: "noarch", filename: "alpha-1.0-h0_0.conda", sha256: "45aa" },
    };
    expect(actionWords(event.action)).toBe("deleted a package");
    expect(auditTarget(event)).toBe("noarch/alpha-1.0-h0_0.conda");
  });

  it("names the member and role, the new owner, the refused publisher", () => {
    expect(auditTarget({ at: "", actor: "a", action: "member.add", details: { user: "bob", role: "maintainer" } })).toBe(
      "bob (maintainer)",
    );
    expect(auditTarget({ at: "", actor: "a", action: "channel.transfer", details: { from: "a", to: "bob" } })).toBe(
      "to bob",
    );
    expect(
      auditTarget({
        at: "",
        actor: "github:o/r",
        action: "trusted-publishing.refused",
        details: { publisher: "pub_1", check: "workflow", repository: "o/r" },
      }),
    ).toBe("pub_1 (o/r)");
  });

  it("names an added publisher by its repository, and leaves empty lists out of the details", () => {
    const event = {
      at: "",
      actor: "alice",
      action: "publisher.add",
      details: { id: "pub_1", provider: "github", owner: "octo-org", repository: "widgets", subdirs: [] },
    };
    expect(auditTarget(event)).toBe("github octo-org/widgets");
    expect(auditDetails(event).map(([key]) => key)).toEqual(["id", "provider", "owner", "repository"]);
  });

  it("shows changes as from -> to and keeps unknown actions readable", () => {
    const event = {
      at: "",
      actor: "alice",
      action: "channel.visibility",
      details: { visibility: { from: "public", to: "private" } },
    };
    expect(auditTarget(event)).toBe("visibility");
    expect(auditDetails(event)).toEqual([["visibility", '"public" → "private"']]);
    expect(actionWords("something.new")).toBe("something.new");
  });
});
