import { fieldOfKeyError, keyRequest, parseChannelList } from "./keys";

describe("keyRequest", () => {
  it("leaves out what the person did not limit", () => {
    expect(keyRequest({ description: " laptop ", scope: "admin", channels: "", expiry: "never" })).toEqual({
      body: { scope: "admin", description: "laptop" },
    });
  });

  it("limits channels and expiry when asked", () => {
    expect(keyRequest({ description: "ci", scope: "upload", channels: "mychan, other mychan", expiry: "30" })).toEqual({
      body: { scope: "upload", description: "ci", channels: ["mychan", "other"], expires_in_days: 30 },
    });
  });

  it("says which field is wrong", () => {
    const r = keyRequest({ description: "x".repeat(201), scope: "read", channels: "Bad!", expiry: "0" });
    expect("errors" in r && r.errors).toEqual({
      description: "A description is at most 200 characters.",
      channels: expect.stringContaining("“Bad!” is not a channel name"),
      expiry: "Expiry is 1 to 3650 days.",
    });
  });
});

describe("parseChannelList", () => {
  it("splits on commas and spaces, once each", () => {
    expect(parseChannelList(" a,b  c,,a ")).toEqual(["a", "b", "c"]);
  });
});

describe("fieldOfKeyError", () => {
  it("maps the API's refusals to the field that caused them", () => {
    expect(fieldOfKeyError("key-scope-too-broad")).toBe("scope");
    expect(fieldOfKeyError("key-channels-too-broad")).toBe("channels");
    expect(fieldOfKeyError("key-expiry-too-late")).toBe("expiry");
    expect(fieldOfKeyError("forbidden")).toBeNull();
  });
});
