// @vitest-environment jsdom
import "@testing-library/jest-dom/vitest";
import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { createApi } from "../api/client";
import { AuthContext, type AuthState } from "../auth/AuthContext";
import CreateChannelPage from "./CreateChannelPage";

afterEach(cleanup);

// The name check waits for typing to pause; a busy machine needs more than the default 1 s.
const WAIT = { timeout: 10_000 };

/** A signed-in alice whose API answers from `routes` (path -> [status, body]). */
function renderWith(routes: Record<string, [number, unknown]>) {
  const calls: { method: string; url: string; body?: string }[] = [];
  const fake = (async (url: string, init: RequestInit) => {
    calls.push({ method: String(init.method), url, body: init.body as string | undefined });
    const [status, body] = routes[`${init.method} ${url}`] ?? [404, { error: "channel-not-found", message: "no such channel" }];
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  }) as unknown as typeof fetch;
  const auth: AuthState = {
    status: "signed-in",
    me: { name: "alice", superuser: false, key: null, scope: "admin", channels: null, needs_name: false, session: true },
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
      <MemoryRouter initialEntries={["/channels/new"]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <Routes>
          <Route path="/channels/new" element={<CreateChannelPage />} />
          <Route path="/channels/:channel" element={<p>channel page</p>} />
        </Routes>
      </MemoryRouter>
    </AuthContext.Provider>,
  );
  return calls;
}

describe("CreateChannelPage", () => {
  it("checks the name as it is typed: rules first, then whether it is taken", async () => {
    const user = userEvent.setup();
    renderWith({ "GET /api/v1/channels/tools": [200, { name: "tools", visibility: "public" }] });
    const name = screen.getByLabelText("Channel name");
    await user.type(name, "My");
    expect(screen.getByRole("alert")).toHaveTextContent("Use lower-case letters");
    expect(name).toHaveAttribute("aria-invalid", "true");
    await user.clear(name);
    await user.type(name, "tools");
    expect(await screen.findByText("“tools” is taken: choose another name.", {}, WAIT)).toBeInTheDocument();
    await user.clear(name);
    await user.type(name, "fresh");
    expect(await screen.findByText("“fresh” is free.", {}, WAIT)).toBeInTheDocument();
  });

  it("creates the channel and shows the API's refusal next to the field that caused it", async () => {
    const user = userEvent.setup();
    const calls = renderWith({
      "POST /api/v1/channels": [400, { error: "invalid-request", message: "logo_url must be an https:// URL" }],
    });
    await user.type(screen.getByLabelText("Channel name"), "fresh");
    await user.click(screen.getByLabelText(/^Private/));
    await user.click(screen.getByRole("button", { name: "Create channel" }));
    const logoError = await screen.findByText("logo_url must be an https:// URL.", {}, WAIT);
    expect(logoError.id).toBe("channel-logo-error");
    const post = calls.find((c) => c.method === "POST");
    expect(JSON.parse(post!.body!)).toEqual({ name: "fresh", visibility: "private", description: "" });
  });
});
