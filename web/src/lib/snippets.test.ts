import { authSnippets, installSnippets, loginSnippets } from "./snippets";

const pub = { origin: "https://conda.example.org", channel: "mychan", isPrivate: false };

describe("installSnippets", () => {
  it("gives pixi, conda and mamba lines with the channel URL", () => {
    const s = installSnippets(pub, "alpha");
    expect(s.map((x) => x.id)).toEqual(["pixi", "conda", "mamba"]);
    expect(s[0]?.code).toBe("pixi workspace channel add https://conda.example.org/mychan\npixi add alpha");
    expect(s[1]?.code).toBe("conda install -c https://conda.example.org/mychan alpha");
    expect(s[2]?.code).toBe("mamba install -c https://conda.example.org/mychan alpha");
  });

  it("pins a version, quoted for the shell", () => {
    const s = installSnippets(pub, "alpha", "1.2.0");
    expect(s[1]?.code).toBe('conda install -c https://conda.example.org/mychan "alpha==1.2.0"');
  });
});

describe("authSnippets", () => {
  it("says where the key goes for each client, never a real key", () => {
    const s = authSnippets({ ...pub, isPrivate: true });
    const text = s.map((x) => x.code).join("\n");
    expect(text).toContain("pixi auth login conda.example.org --token <your API key>");
    expect(text).toContain("rattler-build auth login conda.example.org --token <your API key>");
    expect(text).toContain("conda install -c https://conda.example.org/t/<your API key>/mychan <package>");
    expect(text).not.toMatch(/rillet-key-[A-Za-z0-9]/);
  });
});

describe("loginSnippets", () => {
  it("names the host without a trailing slash", () => {
    const s = loginSnippets("http://127.0.0.1:8787/");
    expect(s[0]?.code).toBe("pixi auth login 127.0.0.1:8787 --token <your API key>");
    expect(s[2]?.code).toBe("rillet login http://127.0.0.1:8787");
  });
});
