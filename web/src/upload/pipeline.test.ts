import { describe, expect, it } from "vitest";
import {
  runLimited,
  uploadFile,
  type ApiRefusal,
  type FileState,
  type UploadDeps,
  type UploadStatusLike,
} from "./pipeline";
import { PutError } from "./put";

class ApiFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly transient = false,
  ) {
    super(message);
  }
}

function deps(statuses: (UploadStatusLike | ApiFailure)[], overrides: Partial<UploadDeps> = {}) {
  let clock = 0;
  const calls = { requests: [] as unknown[], puts: 0, polls: 0 };
  const d: UploadDeps = {
    requestUpload: async (body) => {
      calls.requests.push(body);
      return { id: "up1", url: "https://s/1", method: "PUT", headers: {} };
    },
    uploadStatus: async () => {
      calls.polls += 1;
      const next = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
      if (next instanceof ApiFailure) throw next;
      return next;
    },
    hash: async (_file, options) => {
      options.onProgress?.(3, 3);
      return "a".repeat(64);
    },
    put: async (_ticket, _file, options) => {
      calls.puts += 1;
      options.onProgress?.(3, 3);
    },
    refusalOf: (error): ApiRefusal =>
      error instanceof ApiFailure
        ? { code: error.code, message: error.message, transient: error.transient }
        : { code: "network-error", message: String(error), transient: true },
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    ...overrides,
  };
  return { d, calls };
}

const pkg = () => new File(["abc"], "alpha-1.0-h0_0.conda");

async function run(d: UploadDeps, file = pkg(), maxBytes: number | null = 1000) {
  const states: FileState[] = [];
  const result = await uploadFile(file, d, { maxBytes }, (s) => states.push(s));
  return { result, phases: states.map((s) => s.phase), states };
}

describe("uploadFile", () => {
  it("goes hashing -> requesting -> sending -> validating -> published -> installable", async () => {
    const { d, calls } = deps([
      { status: "pending" },
      { status: "validating" },
      { status: "published", subdir: "noarch", indexed: false },
      { status: "published", subdir: "noarch", indexed: true },
    ]);
    const { result, phases } = await run(d);
    expect([...new Set(phases)]).toEqual([
      "hashing",
      "requesting",
      "sending",
      "validating",
      "published",
      "installable",
    ]);
    expect(result.state).toEqual({ phase: "installable", subdir: "noarch" });
    expect(calls.requests).toEqual([{ filename: "alpha-1.0-h0_0.conda", sha256: "a".repeat(64), size: 3 }]);
    expect(result.uploadId).toBe("up1");
  });

  it("shows the rejection's reason and message", async () => {
    const { d } = deps([
      { status: "validating" },
      { status: "rejected", reason: "filename-mismatch", message: "index.json says beta" },
    ]);
    const { result } = await run(d);
    expect(result.state).toEqual({ phase: "rejected", reason: "filename-mismatch", message: "index.json says beta" });
  });

  it("sends nothing for a file the browser refuses", async () => {
    const { d, calls } = deps([{ status: "published", indexed: true }]);
    const { result, phases } = await run(d, new File(["abcd"], "alpha-1.0-h0_0.conda"), 3);
    expect(result.state).toMatchObject({ phase: "rejected", reason: "too-large" });
    expect(phases).toEqual(["rejected"]);
    expect(calls.requests).toEqual([]);
  });

  it("stops at the API's refusal of the URL request", async () => {
    const { d, calls } = deps([], {
      requestUpload: async () => {
        throw new ApiFailure("already-exists", "noarch/alpha-1.0-h0_0.conda already exists");
      },
    });
    const { result } = await run(d);
    expect(result.state).toEqual({
      phase: "rejected",
      reason: "already-exists",
      message: "noarch/alpha-1.0-h0_0.conda already exists",
    });
    expect(calls.puts).toBe(0);
  });

  it("reports a failed PUT and does not poll", async () => {
    const { d, calls } = deps([{ status: "published", indexed: true }], {
      put: async () => {
        throw new PutError("storage-refused", "Storage refused the file (HTTP 403).", 403);
      },
    });
    const { result } = await run(d);
    expect(result.state).toMatchObject({ phase: "failed", reason: "storage-refused" });
    expect(calls.polls).toBe(0);
  });

  it("keeps polling through a transient error, stops at a permanent one", async () => {
    const flaky = deps([new ApiFailure("unavailable", "retry", true), { status: "published", indexed: true }]);
    expect((await run(flaky.d)).result.state.phase).toBe("installable");
    const gone = deps([new ApiFailure("upload-not-found", "no upload up1")]);
    expect((await run(gone.d)).result.state).toMatchObject({ phase: "failed", reason: "upload-not-found" });
  });

  it("gives up waiting after the verdict timeout, saying the channel is still validating", async () => {
    const { d } = deps([{ status: "validating" }]);
    const states: FileState[] = [];
    const result = await uploadFile(pkg(), d, { maxBytes: null, verdictTimeoutMs: 5000 }, (s) => states.push(s));
    expect(result.state).toMatchObject({ phase: "failed", reason: "timeout" });
  });

  it("stays published when the index is slow, without waiting forever", async () => {
    const { d } = deps([{ status: "published", subdir: "linux-64", indexed: false }]);
    const result = await uploadFile(pkg(), d, { maxBytes: null, indexTimeoutMs: 3000 }, () => {});
    expect(result.state).toEqual({ phase: "published", subdir: "linux-64" });
  });

  it("polls less often as time goes on, up to the maximum interval", async () => {
    const waits: number[] = [];
    const { d } = deps([{ status: "validating" }]);
    d.sleep = async (ms) => {
      waits.push(ms);
      if (waits.length > 8) throw new Error("stop");
    };
    await uploadFile(pkg(), d, { maxBytes: null, firstPollMs: 300, maxPollMs: 2000 }, () => {});
    expect(waits.slice(0, 4)).toEqual([300, 450, 675, 1013]);
    expect(Math.max(...waits)).toBe(2000);
  });

  it("passes force when asked", async () => {
    const { d, calls } = deps([{ status: "published", indexed: true }]);
    await uploadFile(pkg(), d, { maxBytes: null, force: true }, () => {});
    expect(calls.requests[0]).toMatchObject({ force: true });
  });
});

describe("runLimited", () => {
  it("never runs more than the limit at once and runs every task", async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const tasks = Array.from({ length: 7 }, (_, i) => async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      running -= 1;
      done.push(i);
      if (i === 3) throw new Error("one fails, the rest go on");
    });
    await runLimited(tasks, 3);
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
