// @vitest-environment jsdom
import "@testing-library/jest-dom/vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import type { Attestation } from "../api/types";
import { AttestationInfo } from "./AttestationInfo";

afterEach(cleanup);

const attestation: Attestation = {
  provider: "github",
  issuer: "https://token.actions.githubusercontent.com",
  identity: "https://github.com/acme/alpha/.github/workflows/release.yml@refs/tags/v1.0",
  repository: "acme/alpha",
  workflow: ".github/workflows/release.yml",
  ref: "refs/tags/v1.0",
  commit: "193b5bd7d3985809503963ae400594ea16df31cf",
  run: "https://github.com/acme/alpha/actions/runs/17377272645/attempts/1",
  target_channel: "https://conda.example.org/mychan",
  log_index: 456061810,
  integrated_time: "2026-11-30T12:00:00Z",
  sigs: "mychan/noarch/alpha-1.0-h0_0.conda.sigs",
};
const FILE = "alpha-1.0-h0_0.conda";

describe("AttestationInfo", () => {
  it("says who attested the file, with its links and the full commit to copy", () => {
    render(<AttestationInfo attestation={attestation} filename={FILE} channel="mychan" isPrivate={false} />);
    const group = screen.getByRole("group", { name: `Attestation of ${FILE}` });
    expect(group).toHaveTextContent("Attested by acme/alpha .github/workflows/release.yml at 193b5bd");
    expect(within(group).getByRole("link", { name: "193b5bd" })).toHaveAttribute("title", attestation.commit);
    expect(within(group).getByRole("button", { name: `Copy commit of ${FILE}` })).toBeInTheDocument();
    expect(within(group).getByRole("link", { name: `signatures (.sigs) of ${FILE}` })).toHaveAttribute(
      "href",
      "/mychan/noarch/alpha-1.0-h0_0.conda.sigs",
    );
    expect(group).not.toHaveTextContent("API key");
  });

  it("tells how a private channel's .sigs is opened in a browser", () => {
    render(<AttestationInfo attestation={attestation} filename={FILE} channel="mychan" isPrivate />);
    expect(screen.getByRole("group", { name: `Attestation of ${FILE}` })).toHaveTextContent(
      "your browser asks for an API key as the password",
    );
  });

  it("says quietly that a file is not attested", () => {
    render(<AttestationInfo attestation={null} filename={FILE} channel="mychan" isPrivate={false} />);
    expect(screen.getByText("Not attested")).toHaveClass("muted");
    expect(screen.queryByRole("group")).toBeNull();
  });
});
