import { channelNameProblem, logoUrlProblem, userNameProblem } from "./names";

describe("channelNameProblem", () => {
  it.each(["mychan", "a", "conda-forge", "my_chan2", "x".repeat(50)])("accepts %s", (name) => {
    expect(channelNameProblem(name)).toBeNull();
  });

  it("says what is wrong, in words", () => {
    expect(channelNameProblem("")).toBe("Enter a channel.");
    expect(channelNameProblem("MyChan")).toMatch(/lower-case/);
    expect(channelNameProblem("my chan")).toMatch(/not space/);
    expect(channelNameProblem("my.chan")).toMatch(/not “\.”/);
    expect(channelNameProblem("-chan")).toMatch(/starts with a letter or digit/);
    expect(channelNameProblem("chan_")).toMatch(/ends with a letter or digit/);
    expect(channelNameProblem("x".repeat(51))).toMatch(/at most 50 characters/);
  });

  it("refuses the names the app's own pages use", () => {
    for (const name of ["channels", "account", "callback", "new", "api", "assets", "t"]) {
      expect(channelNameProblem(name)).toMatch(/reserved/);
    }
  });
});

describe("userNameProblem", () => {
  it("allows 39 characters, not 40", () => {
    expect(userNameProblem("a".repeat(39))).toBeNull();
    expect(userNameProblem("a".repeat(40))).toMatch(/at most 39/);
  });
  it("refuses reserved usernames", () => {
    expect(userNameProblem("admin")).toMatch(/reserved/);
    expect(userNameProblem("me")).toMatch(/reserved/);
  });
});

describe("logoUrlProblem", () => {
  it("accepts empty and https URLs only", () => {
    expect(logoUrlProblem("")).toBeNull();
    expect(logoUrlProblem("https://example.org/logo.png")).toBeNull();
    expect(logoUrlProblem("http://example.org/logo.png")).toMatch(/https/);
    expect(logoUrlProblem("logo.png")).toMatch(/full URL/);
    expect(logoUrlProblem(`https://e.org/${"a".repeat(500)}`)).toMatch(/500/);
  });
});
