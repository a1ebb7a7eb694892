import { describe, expect, it } from "vitest";
import { refusalsByPublisher } from "./refusals";

describe("refusalsByPublisher", () => {
  it("groups the refused attempts by publisher and names where they came from", () => {
    const refused = refusalsByPublisher([
      {
        at: "2026-09-21T14:20:00Z",
        actor: "github:o/r",
        action: "trusted-publishing.refused",
        details: { publisher: "pub_1", check: "workflow", repository: "o/r", workflow_ref: "o/r/.github/workflows/ci.yml@refs/heads/main" },
      },
      { at: "2026-09-21T14:19:00Z", actor: "alice", action: "package.upload", details: { filename: "a-1-0.conda" } },
      {
        at: "2026-09-21T14:18:00Z",
        actor: "gitlab:g/p",
        action: "trusted-publishing.refused",
        details: { publisher: "pub_2", check: "environment", project_path: "g/p" },
      },
      {
        at: "2026-09-21T14:17:00Z",
        actor: "github:o/r",
        action: "trusted-publishing.refused",
        details: { publisher: "pub_1", check: "replayed-jti" },
      },
    ]);
    expect(refused.get("pub_1")).toEqual([
      { at: "2026-09-21T14:20:00Z", check: "workflow", from: "o/r/.github/workflows/ci.yml@refs/heads/main" },
      { at: "2026-09-21T14:17:00Z", check: "replayed-jti", from: null },
    ]);
    expect(refused.get("pub_2")).toEqual([{ at: "2026-09-21T14:18:00Z", check: "environment", from: "g/p" }]);
    expect(refused.has("pub_3")).toBe(false);
  });
});
