// @vitest-environment jsdom
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiError, channelJson, fakeApi, renderPage, type FakeHandler } from "../testing/fakeApi";
import SettingsPage from "./SettingsPage";

afterEach(() => vi.unstubAllGlobals());

const publisher = {
  id: "pub_1",
  channel: "mychan",
  provider: "github",
  issuer: "https://token.actions.githubusercontent.com",
  owner: "octo-org",
  owner_id: "4242",
  repository: "widgets",
  workflow: "release.yml",
  environment: null,
  name_patterns: [],
  subdirs: [],
  created_by: "alice",
  created_at: "2026-09-21T14:13:27Z",
  last_used_at: null,
};

function show(routes: Record<string, FakeHandler> = {}, role = "owner") {
  const seen = fakeApi({
    "GET /api/v1/channels/:c": () => ({ body: channelJson("mychan", role) }),
    "GET /api/v1/channels/:c/publishers": () => ({ body: { publishers: [] } }),
    "GET /api/v1/channels/:c/audit": () => ({ body: { events: [], cursor: null } }),
    ...routes,
  });
  renderPage("/channels/:channel/settings", "/channels/mychan/settings", <SettingsPage />);
  return seen;
}

describe("settings page", () => {
  it("saves only what changed: description and visibility", async () => {
    const user = userEvent.setup();
    const seen = show({
      "PATCH /api/v1/channels/:c": (request) => ({ body: { ...channelJson("mychan"), ...(request.body as object) } }),
    });
    const description = await screen.findByLabelText("Description");
    expect(description).toHaveValue("tools");
    expect(screen.getByRole("button", { name: "Save settings" })).toBeDisabled();
    await user.clear(description);
    await user.type(description, "build tools");
    await user.click(screen.getByLabelText("Public"));
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    await screen.findByText("Settings saved.");
    expect(seen.find((r) => r.method === "PATCH")?.body).toEqual({ description: "build tools", visibility: "public" });
  });

  it("explains what private means for users and for cached copies", async () => {
    show();
    expect(await screen.findByText(/copies people already downloaded/)).toBeInTheDocument();
  });

  it("refuses a logo URL that is not https, in words, before sending", async () => {
    const user = userEvent.setup();
    const seen = show();
    await user.type(await screen.findByLabelText("Logo URL"), "http://example.com/logo.png");
    expect(screen.getByText("The logo URL must start with https://.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save settings" })).toBeDisabled();
    expect(seen.some((r) => r.method === "PATCH")).toBe(false);
  });

  it("shows the API's refusal next to the form", async () => {
    const user = userEvent.setup();
    show({ "PATCH /api/v1/channels/:c": () => apiError(400, "invalid-request", "description is too long") });
    await user.type(await screen.findByLabelText("Description"), "!");
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    const form = screen.getByRole("form", { name: "Channel settings" });
    expect(await within(form).findByRole("alert")).toHaveTextContent("Description is too long.");
  });

  it("deletes the channel only after its name is typed", async () => {
    const user = userEvent.setup();
    const seen = show({ "DELETE /api/v1/channels/:c": () => ({ body: { deleted: "mychan", objects_removed: 3 } }) });
    const button = await screen.findByRole("button", { name: "Delete channel" });
    expect(button).toBeDisabled();
    await user.type(screen.getByLabelText("Type mychan to confirm"), "mycha");
    expect(button).toBeDisabled();
    await user.type(screen.getByLabelText("Type mychan to confirm"), "n");
    await user.click(button);
    expect(await screen.findByText("elsewhere")).toBeInTheDocument();
    expect(seen.some((r) => r.method === "DELETE" && r.path === "/api/v1/channels/mychan")).toBe(true);
  });

  it("transfers to another user, showing an unknown user's refusal next to the field", async () => {
    const user = userEvent.setup();
    const seen = show({
      "POST /api/v1/channels/:c/transfer": (request) =>
        (request.body as { owner: string }).owner === "bob"
          ? { body: channelJson("mychan", "maintainer", { owner: "bob" }) }
          : apiError(404, "user-not-found", "no user zed"),
    });
    await user.type(await screen.findByLabelText("New owner's username"), "zed");
    await user.click(screen.getByRole("button", { name: "Transfer channel" }));
    const form = screen.getByRole("form", { name: "Transfer ownership" });
    expect(await within(form).findByRole("alert")).toHaveTextContent("No user zed.");
    await user.clear(screen.getByLabelText("New owner's username"));
    await user.type(screen.getByLabelText("New owner's username"), "bob");
    await user.click(screen.getByRole("button", { name: "Transfer channel" }));
    expect(await screen.findByText("elsewhere")).toBeInTheDocument();
    expect(seen.filter((r) => r.path.endsWith("/transfer")).map((r) => r.body)).toEqual([{ owner: "zed" }, { owner: "bob" }]);
  });

  it("tells non-owners that settings are the owners'", async () => {
    show({}, "maintainer");
    expect(await screen.findByText("Only owners change settings")).toBeInTheDocument();
    expect(screen.queryByLabelText("Description")).toBeNull();
  });
});

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CDN_LOGO = "https://cdn.example.com/_logos/mychan/0123abcd.png";

/** A file of `size` bytes starting with `head`. */
function fileOf(name: string, type: string, head: number[], size = 64) {
  const bytes = new Uint8Array(size);
  bytes.set(head);
  return new File([bytes], name, { type });
}

describe("logo upload", () => {
  it("uploads the image's bytes and shows the new logo", async () => {
    const user = userEvent.setup();
    const seen = show({
      "PUT /api/v1/channels/:c/logo": () => ({ body: channelJson("mychan", "owner", { logo_url: CDN_LOGO }) }),
    });
    const input = await screen.findByLabelText("Upload a logo");
    expect(input).toHaveAttribute("accept", "image/png,image/jpeg,image/webp");
    expect(screen.queryByAltText("Logo preview")).toBeNull();
    const file = fileOf("logo.png", "image/png", PNG, 2048);
    await user.upload(input, file);
    expect(await screen.findByText("Logo uploaded from logo.png.")).toBeInTheDocument();
    expect(screen.getByAltText("Logo preview")).toHaveAttribute("src", CDN_LOGO);
    expect(screen.getByLabelText("Logo URL")).toHaveValue(CDN_LOGO);
    // the logo is saved already: the settings form has nothing left to save
    expect(screen.getByRole("button", { name: "Save settings" })).toBeDisabled();
    const puts = seen.filter((r) => r.method === "PUT");
    expect(puts).toHaveLength(1);
    expect(puts[0]?.path).toBe("/api/v1/channels/mychan/logo");
    expect(puts[0]?.contentType).toBe("image/png");
    expect(puts[0]?.raw?.size).toBe(2048);
    expect(Array.from(new Uint8Array(await puts[0]!.raw!.slice(0, 8).arrayBuffer()))).toEqual(PNG);
  });

  it("refuses an oversized file, in words, before sending", async () => {
    const user = userEvent.setup();
    const seen = show();
    await user.upload(await screen.findByLabelText("Upload a logo"), fileOf("big.png", "image/png", PNG, 300 * 1024));
    expect(await screen.findByText("A logo may be at most 256 KiB; this file is 300 KiB.")).toBeInTheDocument();
    expect(screen.getByLabelText("Upload a logo")).toHaveAttribute("aria-invalid", "true");
    expect(seen.some((r) => r.method === "PUT")).toBe(false);
  });

  it("refuses a file that is not a PNG, JPEG or WebP image, by its type or its content, before sending", async () => {
    // as if "All files" were chosen in the file dialog, past the accept filter
    const user = userEvent.setup({ applyAccept: false });
    const seen = show();
    const input = await screen.findByLabelText("Upload a logo");
    await user.upload(input, new File(["<svg xmlns='http://www.w3.org/2000/svg'/>"], "logo.svg", { type: "image/svg+xml" }));
    expect(await screen.findByText("A logo must be a PNG, JPEG or WebP image.")).toBeInTheDocument();
    await user.upload(input, new File(["not a picture at all"], "renamed.png", { type: "image/png" }));
    expect(
      await screen.findByText("A logo must be a PNG, JPEG or WebP image. This file's content is not one."),
    ).toBeInTheDocument();
    expect(seen.some((r) => r.method === "PUT")).toBe(false);
  });

  it("shows the API's refusal next to the control", async () => {
    const user = userEvent.setup();
    show({
      "PUT /api/v1/channels/:c/logo": () =>
        apiError(400, "logo-unsupported-type", "a logo must be a PNG, JPEG or WebP image (checked by its content)"),
    });
    await user.upload(await screen.findByLabelText("Upload a logo"), fileOf("logo.png", "image/png", PNG));
    const alert = await screen.findByText("A logo must be a PNG, JPEG or WebP image (checked by its content)");
    expect(alert).toHaveAttribute("id", "channel-logo-file-error");
    expect(screen.getByLabelText("Upload a logo")).toHaveAttribute("aria-describedby", "channel-logo-file-error");
    expect(screen.queryByAltText("Logo preview")).toBeNull();
  });
});

describe("trusted publishers", () => {
  it("adds a GitHub publisher and shows the workflow snippet to paste", async () => {
    const user = userEvent.setup();
    const seen = show({
      "POST /api/v1/channels/:c/publishers": (request) => ({ status: 201, body: { ...publisher, ...(request.body as object) } }),
    });
    expect(await screen.findByText("No trusted publishers yet")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Add GitHub publisher" }));
    expect(screen.getByText("Fill in: Owner, Repository, Workflow file name.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Owner (required)"), "octo-org");
    await user.type(screen.getByLabelText("Owner id"), "4242");
    await user.type(screen.getByLabelText("Repository (required)"), "widgets");
    await user.type(screen.getByLabelText("Workflow file name (required)"), "release.yml");
    await user.type(screen.getByLabelText("Environment (optional)"), "release");
    await user.click(screen.getByRole("button", { name: "Add GitHub publisher" }));
    const snippet = await screen.findByLabelText("CI snippet for octo-org/widgets (.github/workflows/release.yml)");
    expect(snippet).toHaveTextContent("id-token: write");
    expect(snippet).toHaveTextContent("environment: release");
    expect(snippet).toHaveTextContent(`--url ${window.location.origin} --channel mychan`);
    expect(seen.find((r) => r.method === "POST")?.body).toEqual({
      provider: "github",
      owner: "octo-org",
      owner_id: "4242",
      repository: "widgets",
      workflow: "release.yml",
      environment: "release",
    });
    expect(screen.getByRole("list", { name: "Trusted publishers" })).toHaveTextContent("octo-org/widgets");
  });

  it("has a GitLab form with its own fields", async () => {
    const user = userEvent.setup();
    show();
    await user.click(await screen.findByLabelText("GitLab CI"));
    expect(screen.getByLabelText("Namespace (required)")).toBeInTheDocument();
    expect(screen.getByLabelText("CI config path (required)")).toBeInTheDocument();
    expect(screen.getByLabelText("Self-managed GitLab URL (optional)")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Add GitLab publisher" })).toBeInTheDocument();
  });

  it("lists publishers with last use and recent refusals, and removes one", async () => {
    const user = userEvent.setup();
    const seen = show({
      "GET /api/v1/channels/:c/publishers": () => ({
        body: { publishers: [{ ...publisher, last_used_at: "2026-09-22T10:00:00Z" }] },
      }),
      "GET /api/v1/channels/:c/audit": () => ({
        body: {
          events: [
            {
              at: "2026-09-22T09:00:00Z",
              actor: "github:octo-org/widgets",
              action: "trusted-publishing.refused",
              details: { publisher: "pub_1", check: "environment", repository: "octo-org/widgets" },
            },
          ],
          cursor: null,
        },
      }),
      "DELETE /api/v1/channels/:c/publishers/:id": (_r, [, id]) => ({ body: { removed: id } }),
    });
    const list = await screen.findByRole("list", { name: "Trusted publishers" });
    expect(within(list).getByText("Last used").nextElementSibling?.querySelector("time")).not.toBeNull();
    expect(await within(list).findByText(/the job did not run in the configured environment/)).toBeInTheDocument();
    await user.click(within(list).getByRole("button", { name: /^Remove publisher/ }));
    await user.click(within(list).getByRole("button", { name: /^Confirm: remove/ }));
    expect(await screen.findByText(/its upload tokens stopped working/)).toBeInTheDocument();
    expect(seen.some((r) => r.method === "DELETE" && r.path.endsWith("/publishers/pub_1"))).toBe(true);
    expect(screen.getByText("No trusted publishers yet")).toBeInTheDocument();
  });
});
