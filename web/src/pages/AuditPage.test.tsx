// @vitest-environment jsdom
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { channelJson, fakeApi, renderPage } from "../testing/fakeApi";
import AuditPage from "./AuditPage";

afterEach(() => vi.unstubAllGlobals());

const upload = {
  at: "2026-09-21T14:13:43Z",
  actor: "alice",
  action: "package.upload",
  details: { subdir: "noarch", filename: "alpha-1.0-h0_0.conda", via: "presigned" },
};
const member = { at: "2026-09-21T14:12:00Z", actor: "alice", action: "member.add", details: { user: "bob", role: "member" } };
const older = { at: "2026-09-20T10:00:00Z", actor: "carol", action: "channel.transfer", details: { from: "carol", to: "alice" } };

describe("audit log page", () => {
  it("shows time, actor, action and target, a page at a time", async () => {
    const user = userEvent.setup();
    const seen = fakeApi({
      "GET /api/v1/channels/:c": () => ({ body: channelJson("mychan") }),
      "GET /api/v1/channels/:c/audit": (request) =>
        request.query.get("cursor") === "c2"
          ? { body: { events: [older], cursor: null } }
          : { body: { events: [upload, member], cursor: "c2" } },
    });
    renderPage("/channels/:channel/audit", "/channels/mychan/audit", <AuditPage />);
    const table = await screen.findByRole("table");
    const first = within(table).getAllByRole("row")[1]!;
    expect(within(first).getByText("alice")).toBeInTheDocument();
    expect(within(first).getByText("package.upload")).toBeInTheDocument();
    expect(within(first).getByText("noarch/alpha-1.0-h0_0.conda")).toBeInTheDocument();
    expect(within(first).getByRole("time")).toHaveAttribute("title", "2026-09-21 14:13:43 UTC");
    expect(screen.getByRole("button", { name: "Previous page" })).toBeDisabled();

    await user.click(screen.getByRole("button", { name: "Next page" }));
    expect(await screen.findByText("to alice")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next page" })).toBeDisabled();
    expect(seen.filter((r) => r.path.endsWith("/audit")).map((r) => r.query.get("cursor"))).toEqual([null, "c2"]);

    await user.click(screen.getByRole("button", { name: "Previous page" }));
    expect(await screen.findByText("noarch/alpha-1.0-h0_0.conda")).toBeInTheDocument();
  });

  it("filters by action", async () => {
    const user = userEvent.setup();
    fakeApi({
      "GET /api/v1/channels/:c": () => ({ body: channelJson("mychan") }),
      "GET /api/v1/channels/:c/audit": () => ({ body: { events: [upload, member], cursor: null } }),
    });
    renderPage("/channels/:channel/audit", "/channels/mychan/audit", <AuditPage />);
    await screen.findByRole("table");
    await user.selectOptions(screen.getByLabelText("Show action"), "member.add");
    expect(screen.getByText("bob (member)")).toBeInTheDocument();
    expect(screen.queryByText("noarch/alpha-1.0-h0_0.conda")).toBeNull();
  });

  it("says what will appear when nothing is recorded yet", async () => {
    fakeApi({
      "GET /api/v1/channels/:c": () => ({ body: channelJson("mychan") }),
      "GET /api/v1/channels/:c/audit": () => ({ body: { events: [], cursor: null } }),
    });
    renderPage("/channels/:channel/audit", "/channels/mychan/audit", <AuditPage />);
    expect(await screen.findByText("Nothing recorded yet")).toBeInTheDocument();
  });
});
