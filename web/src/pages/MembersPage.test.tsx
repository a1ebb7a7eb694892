// @vitest-environment jsdom
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiError, channelJson, fakeApi, renderPage } from "../testing/fakeApi";
import MembersPage from "./MembersPage";

const alice = { user: "alice", role: "owner", added_by: "alice", added_at: "2026-09-21T14:13:40Z" };
const bob = { user: "bob", role: "maintainer", added_by: "alice", added_at: "2026-09-21T14:14:40Z" };

afterEach(() => vi.unstubAllGlobals());

function show(members: object[], role = "owner", extra: Record<string, Parameters<typeof fakeApi>[0][string]> = {}) {
  const seen = fakeApi({
    "GET /api/v1/channels/:c": () => ({ body: channelJson("mychan", role) }),
    "GET /api/v1/channels/:c/members": () => ({ body: { members } }),
    ...extra,
  });
  renderPage("/channels/:channel/members", "/channels/mychan/members", <MembersPage />);
  return seen;
}

describe("members page", () => {
  it("lists members with their roles and explains the last-owner rule at the only owner", async () => {
    show([bob, alice]);
    const table = await screen.findByRole("table");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getAllByRole("cell")[0]?.textContent)).toEqual(["alice", "bob"]);
    expect(screen.getByText(/A channel always keeps an owner/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Remove alice" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Remove bob" })).toBeEnabled();
    const aliceRole = screen.getByLabelText("Role of alice");
    expect(within(aliceRole).getByRole("option", { name: "maintainer" })).toBeDisabled();
  });

  it("adds a user found by search with the chosen role", async () => {
    const user = userEvent.setup();
    const seen = show([alice], "owner", {
      "GET /api/v1/users": (request) => ({ body: { users: request.query.get("q") === "bo" ? ["bob", "bobby"] : [] } }),
      "PUT /api/v1/channels/:c/members/:u": (request, [, u]) => ({
        body: { user: u, role: (request.body as { role: string }).role, added_by: "alice", added_at: "2026-09-21T15:00:00Z" },
      }),
    });
    await user.type(await screen.findByLabelText("Username"), "bo");
    await user.click(await screen.findByRole("button", { name: "bob" }));
    expect(screen.getByLabelText("Username")).toHaveValue("bob");
    await user.selectOptions(screen.getByLabelText("Role"), "maintainer");
    await user.click(screen.getByRole("button", { name: "Add member" }));
    await screen.findByText("bob is now a maintainer of mychan.");
    expect(seen.find((r) => r.method === "PUT")).toMatchObject({
      path: "/api/v1/channels/mychan/members/bob",
      body: { role: "maintainer" },
    });
    expect(screen.getByLabelText("Role of bob")).toHaveValue("maintainer");
  });

  it("reaches the suggestions by keyboard right after the search box", async () => {
    const user = userEvent.setup();
    show([alice], "owner", { "GET /api/v1/users": () => ({ body: { users: ["bob"] } }) });
    await user.type(await screen.findByLabelText("Username"), "bo");
    await screen.findByRole("button", { name: "bob" });
    await user.tab();
    expect(screen.getByRole("button", { name: "bob" })).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(screen.getByLabelText("Username")).toHaveValue("bob");
  });

  it("says when search finds nobody, and what to do", async () => {
    const user = userEvent.setup();
    show([alice], "owner", { "GET /api/v1/users": () => ({ body: { users: [] } }) });
    await user.type(await screen.findByLabelText("Username"), "zed");
    expect(await screen.findByText(/No signed-in user starts with “zed”/)).toBeInTheDocument();
  });

  it("shows the API's refusal next to the control that caused it", async () => {
    const user = userEvent.setup();
    const carol = { ...bob, user: "carol", role: "owner" };
    show([alice, carol], "owner", {
      "PUT /api/v1/channels/:c/members/:u": () =>
        apiError(409, "last-owner", "the channel must keep at least one owner"),
    });
    await user.selectOptions(await screen.findByLabelText("Role of carol"), "member");
    await user.click(screen.getByRole("button", { name: "Change role of carol" }));
    const row = screen.getByLabelText("Role of carol").closest("tr")!;
    expect(await within(row).findByRole("alert")).toHaveTextContent("The channel must keep at least one owner.");
    expect(screen.getByLabelText("Role of carol")).toHaveValue("owner");
  });

  it("removes a member after confirming", async () => {
    const user = userEvent.setup();
    const seen = show([alice, bob], "owner", {
      "DELETE /api/v1/channels/:c/members/:u": (_r, [, u]) => ({ body: { removed: u } }),
    });
    await user.click(await screen.findByRole("button", { name: "Remove bob" }));
    await user.click(screen.getByRole("button", { name: "Confirm: remove bob" }));
    await screen.findByText("bob was removed from mychan.");
    expect(screen.queryByLabelText("Role of bob")).toBeNull();
    expect(seen.some((r) => r.method === "DELETE" && r.path.endsWith("/members/bob"))).toBe(true);
  });

  it("shows maintainers the list without controls", async () => {
    show([alice, bob], "maintainer");
    await screen.findByRole("table");
    expect(screen.queryByRole("button", { name: /Remove/ })).toBeNull();
    expect(screen.queryByLabelText("Username")).toBeNull();
  });

  it("says what to do when the list is empty", async () => {
    show([]);
    await waitFor(() => expect(screen.getByText("No members yet")).toBeInTheDocument());
  });
});
