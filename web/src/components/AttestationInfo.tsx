import type { ReactNode } from "react";
import type { Attestation } from "../api/types";
import { describeAttestation } from "../lib/attestation";
import { CopyButton } from "./CopyButton";
import { Time } from "./Time";
import "./attestation.css";

function ExternalLink({ href, label, children }: { href: string; label?: string; children: ReactNode }) {
  return (
    <a href={href} rel="noopener noreferrer nofollow" target="_blank" aria-label={label}>
      {children}
    </a>
  );
}

function Mark() {
  return <strong className="attested">Attested</strong>;
}

/**
 * A file's CEP-27 attestation: "Attested by <repository> <workflow> at <commit>", then
 * ref, signing time, transparency log entry, CI run and the .sigs document. A file
 * without one gets a quiet "Not attested".
 */
export function AttestationInfo({
  attestation,
  filename,
  channel,
  isPrivate,
}: {
  attestation: Attestation | null | undefined;
  filename: string;
  channel: string;
  isPrivate: boolean;
}) {
  if (!attestation) return <span className="muted small">Not attested</span>;
  const v = describeAttestation(attestation, channel);
  // Several files per page: each link's name says which file it is about.
  const of = (text: string) => `${text} of ${filename}`;
  return (
    <div className="attestation" aria-label={`Attestation of ${filename}`} role="group">
      <p className="attestation-head">
        {v.provider === "google" ? (
          <>
            <Mark /> by service account <code>{v.identity}</code>
          </>
        ) : v.repository || v.workflow ? (
          <>
            <Mark /> by{" "}
            {v.repository && (v.repository.href ? <ExternalLink href={v.repository.href}>{v.repository.text}</ExternalLink> : <span>{v.repository.text}</span>)}{" "}
            {v.workflow && <code>{v.workflow}</code>}
            {v.commit && (
              <>
                {" "}
                at{" "}
                {v.commit.href ? (
                  <a href={v.commit.href} rel="noopener noreferrer nofollow" target="_blank" title={v.commit.full}>
                    <code>{v.commit.text}</code>
                  </a>
                ) : (
                  <code title={v.commit.full}>{v.commit.text}</code>
                )}{" "}
                <CopyButton text={v.commit.full} label={`commit of ${filename}`} />
              </>
            )}
          </>
        ) : (
          <>
            <Mark /> by <code>{v.identity}</code>
          </>
        )}
      </p>
      <ul className="attestation-facts small">
        {v.ref && (
          <li>
            <span className="muted">{v.ref.label}</span> <code>{v.ref.name}</code>
          </li>
        )}
        {v.signedAt && (
          <li>
            <span className="muted">signed</span> <Time value={v.signedAt} />
          </li>
        )}
        {v.logEntry && (
          <li>
            <span className="muted">log entry</span>{" "}
            {v.logEntry.href ? (
              <ExternalLink href={v.logEntry.href} label={of(v.logEntry.text)}>
                {v.logEntry.text}
              </ExternalLink>
            ) : (
              v.logEntry.text
            )}
          </li>
        )}
        {v.run && (
          <li>
            <ExternalLink href={v.run} label={of("CI run")}>
              CI run
            </ExternalLink>
          </li>
        )}
        {v.sigs && (
          <li>
            <a href={v.sigs} type="application/json" aria-label={of("signatures (.sigs)")}>
              signatures (.sigs)
            </a>
            {isPrivate && <span className="muted"> (your browser asks for an API key as the password)</span>}
          </li>
        )}
      </ul>
    </div>
  );
}
