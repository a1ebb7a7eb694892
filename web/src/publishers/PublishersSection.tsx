// Trusted publishers on the settings page: the GitHub and GitLab forms with field help,
// the CI snippet to paste after adding, the list with last use, remove, and the recent
// refused attempts (from the audit log's trusted-publishing.refused events).
import { useState, type FormEvent } from "react";
import type { AuditEvent, Publisher, PublisherCreate } from "../api/types";
import { describeError } from "../api/errors";
import { useAuth } from "../auth/AuthContext";
import { Snippet } from "../components/CopyButton";
import { EmptyState, ErrorText, LoadError, Loading, StatusText } from "../components/Feedback";
import { Time } from "../components/Time";
import { useAsync } from "../lib/useAsync";
import {
  fieldsFor,
  missingFields,
  publisherBody,
  publisherTitle,
  snippetFor,
  type FormValues,
  type Provider,
} from "./model";
import { refusalsByPublisher, REFUSAL_CHECKS, type Refusal } from "./refusals";

export function PublishersSection({ channel }: { channel: string }) {
  const auth = useAuth();
  const list = useAsync((_signal) => auth.api.listPublishers(channel), [auth.api, channel]);
  // Owners read the audit log: its refusals say why a CI job could not publish.
  const audit = useAsync((_signal) => auth.api.audit(channel, { limit: 200 }), [auth.api, channel]);
  const [added, setAdded] = useState<Publisher | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const publishers = list.data?.publishers ?? [];
  const refusals = refusalsByPublisher((audit.data?.events ?? []) as AuditEvent[]);
  const origin = window.location.origin;

  return (
    <section className="settings-section" aria-labelledby="publishers-title">
      <h2 id="publishers-title">Trusted publishers</h2>
      <p className="help">
        Let a GitHub Actions workflow or a GitLab CI job upload to {channel} without any stored secret: the job proves
        which repository and workflow it is, and gets an upload token for 15 minutes.
      </p>
      {notice && <StatusText>{notice}</StatusText>}
      {list.loading && !list.data ? (
        <Loading what="Loading trusted publishers" />
      ) : list.error ? (
        <LoadError text={list.errorText ?? ""} onRetry={list.reload} />
      ) : publishers.length === 0 ? (
        <EmptyState title="No trusted publishers yet">
          Add one below, then paste the snippet it shows into your repository's CI.
        </EmptyState>
      ) : (
        <ul className="publisher-list" aria-label="Trusted publishers">
          {publishers.map((publisher) => (
            <PublisherItem
              key={publisher.id}
              channel={channel}
              publisher={publisher}
              origin={origin}
              refusals={refusals.get(publisher.id) ?? []}
              onRemoved={() => {
                list.setData((old) => ({ publishers: (old?.publishers ?? []).filter((p) => p.id !== publisher.id) }));
                if (added?.id === publisher.id) setAdded(null);
                setNotice(`Removed ${publisherTitle(publisher)}: its upload tokens stopped working.`);
              }}
            />
          ))}
        </ul>
      )}
      {audit.error && !list.error ? (
        <p className="help">Recent refusals could not be loaded: {audit.errorText}</p>
      ) : null}
      <AddPublisher
        channel={channel}
        onAdded={(publisher) => {
          setAdded(publisher);
          setNotice(null);
          list.setData((old) => ({ publishers: [...(old?.publishers ?? []), publisher] }));
        }}
      />
      {added && (
        <section className="publisher-added" aria-labelledby="added-title">
          <h3 id="added-title">Added {publisherTitle(added)}: paste this into the repository</h3>
          <Snippet label={`CI snippet for ${publisherTitle(added)}`} code={snippetFor(added, { origin, channel })} />
          <p className="help">
            Adjust the build step to your recipe; the upload step needs no API key.
            {added.provider === "github"
              ? " The job must keep permissions: id-token: write."
              : " The id_tokens entry must stay as it is: its audience is this deployment's host name."}
          </p>
        </section>
      )}
    </section>
  );
}

function PublisherItem({
  channel,
  publisher,
  origin,
  refusals,
  onRemoved,
}: {
  channel: string;
  publisher: Publisher;
  origin: string;
  refusals: Refusal[];
  onRemoved: () => void;
}) {
  const auth = useAuth();
  const [showSnippet, setShowSnippet] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const title = publisherTitle(publisher);

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await auth.api.removePublisher(channel, publisher.id);
      onRemoved();
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <li className="publisher">
      <p className="publisher-title">
        {publisher.provider === "github" ? "GitHub" : publisher.provider === "gitlab" ? "GitLab" : publisher.provider}:{" "}
        {title}
      </p>
      <dl className="facts small">
        {publisher.provider === "github" && (
          <>
            <dt>Owner id</dt>
            <dd>{publisher.owner_id || "not pinned"}</dd>
          </>
        )}
        {publisher.provider === "gitlab" && (
          <>
            <dt>Ids</dt>
            <dd>
              namespace {publisher.namespace_id || "not pinned"}, project {publisher.project_id || "not pinned"}
            </dd>
            <dt>GitLab</dt>
            <dd>{publisher.issuer}</dd>
          </>
        )}
        <dt>Environment</dt>
        <dd>{publisher.environment || "any"}</dd>
        <dt>Packages</dt>
        <dd>{publisher.name_patterns?.length ? publisher.name_patterns.join(", ") : "any name"}</dd>
        <dt>Subdirs</dt>
        <dd>{publisher.subdirs?.length ? publisher.subdirs.join(", ") : "any"}</dd>
        <dt>Added</dt>
        <dd>
          <Time value={publisher.created_at} /> by {publisher.created_by || "—"}
        </dd>
        <dt>Last used</dt>
        <dd>{publisher.last_used_at ? <Time value={publisher.last_used_at} /> : "never"}</dd>
      </dl>
      {refusals.length > 0 && (
        <div>
          <p className="small">
            <strong>Recent refused attempts</strong>
          </p>
          <ul className="refusals small">
            {refusals.slice(0, 5).map((refusal, i) => (
              <li key={`${refusal.at}-${i}`}>
                <Time value={refusal.at} />: {REFUSAL_CHECKS[refusal.check] ?? `check “${refusal.check}” failed`}
                {refusal.from ? ` (${refusal.from})` : ""}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="actions">
        <button
          type="button"
          className="secondary small"
          aria-expanded={showSnippet}
          onClick={() => setShowSnippet((s) => !s)}
        >
          {showSnippet ? "Hide" : "Show"} CI snippet for {title}
        </button>
        {confirming ? (
          <>
            <button type="button" className="danger small" onClick={remove} disabled={busy}>
              Confirm: remove {title}
            </button>
            <button type="button" className="secondary small" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" className="secondary small" onClick={() => setConfirming(true)}>
            Remove publisher {title}
          </button>
        )}
      </div>
      {confirming && <p className="help">Its upload tokens stop working at once, and pending uploads made with them are rejected.</p>}
      <ErrorText>{error}</ErrorText>
      {showSnippet && <Snippet label={`CI snippet for ${title}`} code={snippetFor(publisher, { origin, channel })} />}
    </li>
  );
}

function AddPublisher({ channel, onAdded }: { channel: string; onAdded: (publisher: Publisher) => void }) {
  const auth = useAuth();
  const [provider, setProvider] = useState<Provider>("github");
  const [values, setValues] = useState<FormValues>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fields = fieldsFor(provider);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const missing = missingFields(provider, values);
    if (missing.length) {
      setError(`Fill in: ${missing.join(", ")}.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const publisher = await auth.api.addPublisher(channel, publisherBody(provider, values) as PublisherCreate);
      onAdded(publisher);
      setValues({});
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-labelledby="add-publisher-title" noValidate>
      <h3 id="add-publisher-title">Add a trusted publisher</h3>
      <fieldset className="field">
        <legend>CI provider</legend>
        {(["github", "gitlab"] as const).map((p) => (
          <label key={p} className="choice">
            <input
              type="radio"
              name="publisher-provider"
              value={p}
              checked={provider === p}
              onChange={() => {
                setProvider(p);
                setError(null);
              }}
            />
            {p === "github" ? "GitHub Actions" : "GitLab CI"}
          </label>
        ))}
      </fieldset>
      {fields.map((field) => {
        const id = `publisher-${provider}-${field.key}`;
        return (
          <div className="field" key={id}>
            <label htmlFor={id}>
              {field.label}
              {field.required ? " (required)" : ""}
            </label>
            <input
              id={id}
              autoComplete="off"
              value={values[field.key] ?? ""}
              placeholder={field.placeholder}
              required={field.required}
              onChange={(e) => setValues((v) => ({ ...v, [field.key]: e.target.value }))}
              aria-describedby={`${id}-help`}
            />
            <p id={`${id}-help`} className="help">
              {field.help}
            </p>
          </div>
        );
      })}
      <div className="actions">
        <button type="submit" disabled={busy}>
          Add {provider === "github" ? "GitHub" : "GitLab"} publisher
        </button>
      </div>
      <ErrorText>{error}</ErrorText>
    </form>
  );
}
