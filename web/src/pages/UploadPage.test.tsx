// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { apiError, channelJson, fakeApi, renderPage } from "../testing/fakeApi";
import UploadPage from "./UploadPage";

/** The storage side of the presigned PUT: records what arrives, answers 200. */
class StorageXhr {
  static sent: { url: string; headers: [string, string][]; size: number }[] = [];
  static answer = 200;
  private url = "";
  private headers: [string, string][] = [];
  private listeners: Record<string, (() => void)[]> = {};
  private progress: ((e: ProgressEvent) => void)[] = [];
  status = 0;
  responseText = "";
  upload = { addEventListener: (_t: string, fn: (e: ProgressEvent) => void) => this.progress.push(fn) };
  open(_method: string, url: string) {
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers.push([name, value]);
  }
  addEventListener(type: string, fn: () => void) {
    (this.listeners[type] ??= []).push(fn);
  }
  abort() {}
  send(body: Blob) {
    StorageXhr.sent.push({ url: this.url, headers: this.headers, size: body.size });
    setTimeout(() => {
      for (const fn of this.progress) fn({ loaded: body.size, total: body.size, lengthComputable: true } as ProgressEvent);
      this.status = StorageXhr.answer;
      this.responseText = StorageXhr.answer === 200 ? "" : "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
      for (const fn of this.listeners.load ?? []) fn();
    }, 5);
  }
}

beforeEach(() => {
  StorageXhr.sent = [];
  StorageXhr.answer = 200;
  vi.stubGlobal("XMLHttpRequest", StorageXhr);
});
afterEach(() => vi.unstubAllGlobals());

function serve(statuses: Record<string, object>, role = "owner") {
  let n = 0;
  const ids = new Map<string, string>();
  return fakeApi({
    "GET /api/v1/channels/:c": () => ({ body: channelJson("mychan", role) }),
    "POST /api/v1/channels/:c/uploads": (request) => {
      const body = request.body as { filename: string; size: number };
      if (body.filename.startsWith("taken")) return apiError(409, "already-exists", `noarch/${body.filename} already exists in channel mychan`);
      const id = `up${++n}`;
      ids.set(id, body.filename);
      return {
        status: 201,
        body: {
          id,
          method: "PUT",
          url: `/_s3/staging/${id}?X-Amz-Signature=x`,
          headers: { "Content-Type": "application/octet-stream", "Content-Length": String(body.size), "x-amz-checksum-sha256": "abc=" },
          expires_at: 1790000931,
          filename: body.filename,
          status: "pending",
        },
      };
    },
    "GET /api/v1/channels/:c/uploads/:id": (_r, [, id]) => ({
      body: { id, channel: "mychan", filename: ids.get(id!), ...(statuses[ids.get(id!) ?? ""] ?? { status: "validating" }) },
    }),
  });
}

const file = (name: string, text = "conda bytes") => new File([text], name);

describe("upload page", () => {
  it("shows the deployment's size limit and a labelled file chooser", async () => {
    serve({});
    renderPage("/channels/:channel/upload", "/channels/mychan/upload", <UploadPage />);
    expect(await screen.findByText("1000 bytes")).toBeInTheDocument();
    const input = screen.getByLabelText("Choose package files");
    expect(input).toHaveAttribute("type", "file");
    expect(input).toHaveAttribute("multiple");
    expect(screen.getByText("No files yet")).toBeInTheDocument();
  });

  it("takes two dropped files to installable, each with its own progress and verdict", async () => {
    const seen = serve({
      "alpha-1.0-h0_0.conda": { status: "published", subdir: "noarch", indexed: true },
      "beta-2.0-h0_0.tar.bz2": { status: "rejected", reason: "filename-mismatch", message: "info/index.json names gamma" },
    });
    renderPage("/channels/:channel/upload", "/channels/mychan/upload", <UploadPage />);
    const zone = await screen.findByTestId("drop-zone");
    fireEvent.drop(zone, { dataTransfer: { files: [file("alpha-1.0-h0_0.conda"), file("beta-2.0-h0_0.tar.bz2")] } });
    const alpha = (await screen.findByText("alpha-1.0-h0_0.conda")).closest("li")!;
    const beta = screen.getByText("beta-2.0-h0_0.tar.bz2").closest("li")!;
    await within(alpha).findByText("Published in noarch: installable", {}, { timeout: 5000 });
    await within(beta).findByText("Rejected (filename-mismatch)", {}, { timeout: 5000 });
    expect(within(beta).getByText("Info/index.json names gamma.")).toBeInTheDocument();
    // The browser computed each file's SHA-256 and announced its size.
    const requests = seen.filter((r) => r.method === "POST").map((r) => r.body);
    expect(requests).toContainEqual({
      filename: "alpha-1.0-h0_0.conda",
      size: 11,
      // SHA-256 of "conda bytes"
      sha256: "b971a473a92bb7cea55188d6e7d3aadbf6bfcecb08491a5c4dfc0da3c5fffc69",
    });
    // The bytes went to the presigned URL with its headers, not Content-Length (the browser sets it).
    expect(StorageXhr.sent.map((s) => s.url).sort()).toEqual(["/_s3/staging/up1?X-Amz-Signature=x", "/_s3/staging/up2?X-Amz-Signature=x"]);
    expect(StorageXhr.sent[0]?.headers.map(([k]) => k)).toEqual(["Content-Type", "x-amz-checksum-sha256"]);
    expect(await screen.findByText(/1 of 2 files published/)).toBeInTheDocument();
    expect(screen.getByLabelText("install command")).toHaveTextContent("pixi add alpha");
  });

  it("refuses in the browser what the server would, and sends nothing for it", async () => {
    // A picker's "All files" choice gets past the input's accept filter: so does this.
    const user = userEvent.setup({ applyAccept: false });
    const seen = serve({});
    renderPage("/channels/:channel/upload", "/channels/mychan/upload", <UploadPage />);
    await user.upload(await screen.findByLabelText("Choose package files"), [
      file("notes.txt"),
      file("big-1.0-h0_0.conda", "x".repeat(1001)),
      file("Upper-1.0-h0_0.conda"),
    ]);
    const item = (name: string) => screen.getByText(name).closest("li")!;
    expect(within(item("notes.txt")).getByText("Rejected (unknown-extension)")).toBeInTheDocument();
    expect(within(item("big-1.0-h0_0.conda")).getByText(/is 1001 bytes; this deployment accepts packages up to 1000 bytes/)).toBeInTheDocument();
    expect(within(item("Upper-1.0-h0_0.conda")).getByText("Rejected (name-not-lowercase)")).toBeInTheDocument();
    expect(seen.filter((r) => r.method === "POST")).toEqual([]);
  });

  it("shows the API's refusal of the upload next to that file", async () => {
    const user = userEvent.setup();
    serve({});
    renderPage("/channels/:channel/upload", "/channels/mychan/upload", <UploadPage />);
    await user.upload(await screen.findByLabelText("Choose package files"), file("taken-1.0-h0_0.conda"));
    const item = screen.getByText("taken-1.0-h0_0.conda").closest("li")!;
    await within(item).findByText("Rejected (already-exists)");
    expect(within(item).getByText(/already exists in channel mychan/)).toBeInTheDocument();
    expect(StorageXhr.sent).toEqual([]);
  });

  it("says in words when storage refuses the bytes", async () => {
    const user = userEvent.setup();
    StorageXhr.answer = 403;
    serve({});
    renderPage("/channels/:channel/upload", "/channels/mychan/upload", <UploadPage />);
    await user.upload(await screen.findByLabelText("Choose package files"), file("alpha-1.0-h0_0.conda"));
    const item = screen.getByText("alpha-1.0-h0_0.conda").closest("li")!;
    await within(item).findByText("Failed (storage-refused)");
    expect(within(item).getByText(/upload link expired/)).toBeInTheDocument();
  });

  it("tells members without upload rights who can give them", async () => {
    serve({}, "member");
    renderPage("/channels/:channel/upload", "/channels/mychan/upload", <UploadPage />);
    expect(await screen.findByText("You cannot upload to this channel")).toBeInTheDocument();
    expect(screen.queryByLabelText("Choose package files")).toBeNull();
  });

  it("lets owners replace existing files", async () => {
    const user = userEvent.setup();
    const seen = serve({ "alpha-1.0-h0_0.conda": { status: "published", subdir: "noarch", indexed: true } });
    renderPage("/channels/:channel/upload", "/channels/mychan/upload", <UploadPage />);
    await user.click(await screen.findByLabelText("Replace files that already exist (owners only)"));
    await user.upload(screen.getByLabelText("Choose package files"), file("alpha-1.0-h0_0.conda"));
    await waitFor(() => expect(seen.find((r) => r.method === "POST")?.body).toMatchObject({ force: true }));
  });
});
