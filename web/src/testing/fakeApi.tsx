// Page tests drive the real API client against a fake server: `fetch` answers from a
// route table, so each test says what the API answers and checks what a person sees.
import "@testing-library/jest-dom/vitest";
import { configure, render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { vi } from "vitest";
import { AuthProvider } from "../auth/AuthContext";
import { ConfigProvider } from "../config";

// A page test renders the whole app shell; on a busy machine that takes seconds. Patience
// here is not a timing assertion: every wait ends as soon as the page shows the text.
configure({ asyncUtilTimeout: 10_000 });
vi.setConfig({ testTimeout: 60_000 });

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** the Content-Type header sent, if any */
  contentType: string | null;
  /** a body sent as bytes (e.g. an image), not JSON */
  raw?: Blob;
}

export type FakeAnswer = { status?: number; body?: unknown };
export type FakeHandler = (request: FakeRequest, params: string[]) => FakeAnswer | Promise<FakeAnswer>;

export const CONFIG = {
  oidc: null,
  max_package_bytes: 1000,
  max_api_body_bytes: 500,
  version: "test",
};

export function channelJson(name: string, role: string | null = "owner", extra: Record<string, unknown> = {}) {
  return {
    name,
    description: "tools",
    logo_url: "",
    visibility: "private",
    owner: "alice",
    created_at: "2026-09-21T14:13:32Z",
    role,
    ...extra,
  };
}

/** Install a fake API: routes are "METHOD /path/with/:params". Returns the requests seen. */
export function fakeApi(routes: Record<string, FakeHandler>) {
  const seen: FakeRequest[] = [];
  const table = Object.entries(routes).map(([key, handler]) => {
    const [method, pattern] = key.split(" ") as [string, string];
    const re = new RegExp(`^${pattern.replace(/:[a-z_]+/g, "([^/]+)")}$`);
    return { method, re, handler };
  });
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://localhost");
    const method = (init?.method ?? "GET").toUpperCase();
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
    const contentType = new Headers(init?.headers).get("content-type");
    const raw = init?.body instanceof Blob ? init.body : undefined;
    const request: FakeRequest = { method, path: url.pathname, query: url.searchParams, body, contentType, raw };
    seen.push(request);
    if (url.pathname === "/api/v1/config") return json(200, CONFIG);
    for (const route of table) {
      const match = route.method === method ? route.re.exec(url.pathname) : null;
      if (match) {
        const answer = await route.handler(request, match.slice(1).map(decodeURIComponent));
        return json(answer.status ?? 200, answer.body ?? {});
      }
    }
    return json(404, { error: "no-route", message: `no route ${method} ${url.pathname}` });
  });
  vi.stubGlobal("fetch", fetchImpl);
  return seen;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export function apiError(status: number, error: string, message: string): FakeAnswer {
  return { status, body: { error, message } };
}

/** Render `element` at `url` under the app's providers, matched by `path`. */
export function renderPage(path: string, url: string, element: ReactElement) {
  return render(
    <ConfigProvider>
      <MemoryRouter initialEntries={[url]}>
        <AuthProvider>
          <Routes>
            <Route path={path} element={element} />
            <Route path="*" element={<p>elsewhere</p>} />
          </Routes>
        </AuthProvider>
      </MemoryRouter>
    </ConfigProvider>,
  );
}
