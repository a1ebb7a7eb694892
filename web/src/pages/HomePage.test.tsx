// @vitest-environment jsdom
import "@testing-library/jest-dom/vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { createApi } from "../api/client";
import { AuthContext, type AuthState } from "../auth/AuthContext";
import { channelJson } from "../testing/fakeApi";
import HomePage from "./HomePage";

afterEach(cleanup);

const WAIT = { timeout: 10_000 };

/** A signed-in bob whose channel list is `channels`. */
function renderWith(channels: unknown[]) {
  const fake = (async () =>
    new Response(JSON.stringify({ channels }), { status: 200, headers: { "content-type": "application/json" } })) as unknown as typeof fetch;
  const auth: AuthState = {
    status: "signed-in",
    me: { name: "bob", superuser: false, key: null, scope: "admin", channels: null, needs_name: false, session: true },
    needsName: false,
    error: null,
    signInAvailable: true,
    api: createApi(() => "token", fake),
    userManager: null,
    signIn: async () => undefined,
    signOut: async () => undefined,
    refreshMe: async () => null,
  };
  render(
    <AuthContext.Provider value={auth}>
      <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <HomePage />
      </MemoryRouter>
    </AuthContext.Provider>,
  );
}

describe("HomePage", () => {
  it("lists the caller's channels with their role on each, public ones they belong to included", async () => {
    renderWith([
      channelJson("bobs", "owner", { owner: "bob", visibility: "public" }),
      channelJson("team-tools", "maintainer", { visibility: "public" }),
      channelJson("lab", "member"),
      channelJson("elsewhere", null, { visibility: "public" }),
    ]);
    const mine = await screen.findByRole("list", { name: "Your channels" }, WAIT);
    const card = (name: string) => within(mine).getByRole("link", { name }).closest("li")!;
    expect(card("bobs")).toHaveTextContent("Your role: owner");
    expect(card("team-tools")).toHaveTextContent("Your role: maintainer");
    expect(card("lab")).toHaveTextContent("Your role: member");
    expect(within(mine).queryByRole("link", { name: "elsewhere" })).toBeNull();
    const others = screen.getByRole("list", { name: "Other public channels" });
    const elsewhere = within(others).getByRole("link", { name: "elsewhere" }).closest("li")!;
    expect(elsewhere).toHaveTextContent("Owner: alice");
    expect(elsewhere).not.toHaveTextContent("Your role");
  });
});
