import { ApiError, describeError, errorFromBody } from "./errors";
import { buildUrl, createApi } from "./client";

describe("errorFromBody", () => {
  it("keeps the API's reason code and its message as a sentence", () => {
    const e = errorFromBody(409, '{"error": "channel-exists", "message": "channel mychan already exists"}', "application/json");
    expect(e.code).toBe("channel-exists");
    expect(e.status).toBe(409);
    expect(e.message).toBe("Channel mychan already exists.");
  });

  it("says what to do for a session the API no longer accepts", () => {
    const e = errorFromBody(401, '{"error":"invalid-session","message":"invalid session"}', "application/json");
    expect(e.message).toBe("Your sign-in has ended. Sign in again.");
  });

  it("reads the plain-text form of the upload routes", () => {
    const e = errorFromBody(413, "too-large: the package is over 100 MB", "text/plain");
    expect(e.code).toBe("too-large");
    expect(e.message).toBe("The package is over 100 MB.");
  });

  it("falls back to words for the status when the body says nothing usable", () => {
    const html = errorFromBody(502, "<html><body>Bad gateway</body></html>", "text/html");
    expect(html.code).toBe("http-502");
    expect(html.message).toBe("The server failed. Try again later.");
    const empty = errorFromBody(403, '{"error": "forbidden", "message": ""}', "application/json");
    expect(empty.message).toBe("You are not allowed to do this.");
  });
});

describe("describeError", () => {
  it("words a network failure", () => {
    expect(describeError(new TypeError("Failed to fetch"))).toMatch(/Could not reach the server/);
  });
  it("passes an ApiError's message through", () => {
    expect(describeError(new ApiError(404, "channel-not-found", "No such channel."))).toBe("No such channel.");
  });
});

describe("createApi", () => {
  it("sends the token as Bearer, JSON bodies, and throws ApiError on an error answer", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fake = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response('{"error":"invalid-name","message":"\'api\' is reserved"}', {
        status: 422,
        headers: { "content-type": "application/json" },
      });
    }) as unknown as typeof fetch;
    const api = createApi(() => "tok-1", fake);
    const err = await api.createChannel({ name: "api" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("invalid-name");
    expect((err as ApiError).message).toBe("'api' is reserved.");
    const headers = calls[0]?.init.headers as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer tok-1");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(calls[0]?.init.body).toBe('{"name":"api"}');
    expect(calls[0]?.url).toBe("/api/v1/channels");
  });

  it("sends no Authorization header when signed out and encodes path segments", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fake = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response('{"packages": [], "cursor": null}', { status: 200 });
    }) as unknown as typeof fetch;
    const api = createApi(() => null, fake);
    const page = await api.listPackages("my chan", { name: "a/b", cursor: null, limit: 50 });
    expect(page.packages).toEqual([]);
    expect(calls[0]?.url).toBe("/api/v1/channels/my%20chan/packages?name=a%2Fb&limit=50");
    expect((calls[0]?.init.headers as Record<string, string>).Authorization).toBeUndefined();
  });
});

describe("buildUrl", () => {
  it("drops empty query values", () => {
    expect(buildUrl("/x", { a: "", b: undefined, c: null, d: 0 })).toBe("/x?d=0");
  });
});

describe("message casing", () => {
  it("does not capitalize an identifier at the start", () => {
    expect(errorFromBody(400, '{"error":"invalid-request","message":"logo_url must be https"}').message).toBe("logo_url must be https.");
    expect(errorFromBody(422, '{"error":"invalid-name","message":"\'api\' is reserved"}').message).toBe("'api' is reserved.");
  });
});
