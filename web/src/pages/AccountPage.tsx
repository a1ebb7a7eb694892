import { useState, type FormEvent } from "react";
import { ApiError, describeError } from "../api/errors";
import type { ApiKey, ApiKeyCreated, Scope } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { CopyButton } from "../components/CopyButton";
import { EmptyState, ErrorText, LoadError, Loading, StatusText } from "../components/Feedback";
import { RequireSignIn, usePageTitle } from "../components/Layout";
import { Pager, usePaged } from "../components/Pagination";
import { SnippetList } from "../components/SnippetTabs";
import { Time } from "../components/Time";
import { fieldOfKeyError, keyRequest, type KeyForm, type KeyFormErrors } from "../lib/keys";
import { loginSnippets } from "../lib/snippets";
import { useAsync } from "../lib/useAsync";

/** /account: username, API keys, sign-in snippets, sign out. */
export default function AccountPage() {
  usePageTitle("Account");
  return (
    <RequireSignIn what="see your account">
      <Account />
    </RequireSignIn>
  );
}

const SCOPES: { value: Scope; label: string }[] = [
  { value: "read", label: "read — install from private channels" },
  { value: "upload", label: "upload — read, publish, yank" },
  { value: "admin", label: "admin — everything your role allows, incl. channels and keys" },
];

function Account() {
  const auth = useAuth();
  const keys = useAsync(() => auth.api.listKeys(), [auth.api]);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const list = [...(keys.data?.keys ?? [])].reverse(); // newest first
  const { pageItems, page, pages, setPage } = usePaged(list);

  return (
    <>
      <h1>Account</h1>
      <dl className="facts">
        <dt>Username</dt>
        <dd>{auth.me?.name}</dd>
        <dt>Signed in</dt>
        <dd>through this site's identity provider; the session lasts until you sign out or it expires.</dd>
      </dl>
      <p>
        <button type="button" className="secondary" onClick={() => void auth.signOut()}>
          Sign out
        </button>
      </p>

      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading">API keys</h2>
        <p>
          Clients (pixi, conda, mamba, rattler-build, the rillet CLI, CI jobs) use API keys. A key can do at most what you can,
          limited by its scope, channels and expiry.
        </p>
        {created && <NewSecret created={created} onDone={() => setCreated(null)} />}
        {notice && <StatusText>{notice}</StatusText>}
        {keys.loading && !keys.data && <Loading what="Loading your keys" />}
        {keys.errorText && <LoadError text={keys.errorText} onRetry={keys.reload} />}
        {keys.data &&
          (list.length === 0 ? (
            <EmptyState title="You have no API keys yet.">Create one below to install from private channels or to publish.</EmptyState>
          ) : (
            <>
              <div className="table-wrap">
                <table className="stack">
                  <caption className="visually-hidden">Your API keys</caption>
                  <thead>
                    <tr>
                      <th scope="col">Key</th>
                      <th scope="col">Description</th>
                      <th scope="col">Scope</th>
                      <th scope="col">Channels</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Created</th>
                      <th scope="col">State</th>
                    </tr>
                  </thead>
                  <tbody>
                    {pageItems.map((k) => (
                      <KeyRow
                        key={k.id}
                        apiKey={k}
                        onRevoked={(revoked) => {
                          keys.setData((old) => ({ keys: (old?.keys ?? []).map((x) => (x.id === revoked.id ? revoked : x)) }));
                          setNotice(`Revoked ${revoked.id}.`);
                        }}
                      />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager page={page} pages={pages} onPage={setPage} label="API keys: pages" />
            </>
          ))}
        <CreateKey
          onCreated={(k) => {
            setCreated(k);
            setNotice(null);
            const { secret: _secret, ...meta } = k;
            keys.setData((old) => ({ keys: [...(old?.keys ?? []), meta] }));
          }}
        />
      </section>

      <section aria-labelledby="login-heading">
        <h2 id="login-heading">Use a key from the command line</h2>
        <SnippetList snippets={loginSnippets(window.location.origin)} />
      </section>
    </>
  );
}

function KeyRow({ apiKey, onRevoked }: { apiKey: ApiKey; onRevoked: (k: ApiKey) => void }) {
  const { api } = useAuth();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const expired = apiKey.expires_at !== null && apiKey.expires_at * 1000 < Date.now();
  const revoke = async () => {
    setBusy(true);
    setError(null);
    try {
      onRevoked(await api.revokeKey(apiKey.id));
      setConfirming(false);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr>
      <td data-label="Key">
        <code>{apiKey.id}</code>
      </td>
      <td data-label="Description">{apiKey.description || <span className="muted">—</span>}</td>
      <td data-label="Scope">{apiKey.scope}</td>
      <td data-label="Channels">{apiKey.channels ? apiKey.channels.join(", ") : "all"}</td>
      <td data-label="Expires">{apiKey.expires_at === null ? "never" : <Time value={apiKey.expires_at} />}</td>
      <td data-label="Created">
        <Time value={apiKey.created_at} />
      </td>
      <td data-label="State">
        {apiKey.revoked ? (
          "Revoked"
        ) : expired ? (
          "Expired"
        ) : confirming ? (
          <div className="confirm" role="group" aria-label={`Confirm revoking ${apiKey.id}`}>
            <p className="small">Clients using this key stop working at once.</p>
            <div className="actions">
              <button type="button" className="danger small" disabled={busy} onClick={() => void revoke()}>
                {busy ? "Revoking…" : `Revoke ${apiKey.id} now`}
              </button>
              <button type="button" className="secondary small" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <>
            Active{" "}
            <button type="button" className="secondary small" onClick={() => setConfirming(true)} aria-label={`Revoke ${apiKey.id}`}>
              Revoke
            </button>
          </>
        )}
        <ErrorText>{error}</ErrorText>
      </td>
    </tr>
  );
}

function NewSecret({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  return (
    <div className="secret" role="region" aria-labelledby="secret-heading">
      <h3 id="secret-heading">Your new key {created.id}</h3>
      <p>
        <strong>Copy the secret now: it is shown only this once.</strong> Rillet keeps only its hash.
      </p>
      <div className="snippet">
        <pre tabIndex={0} aria-label="New API key secret">
          <code>{created.secret}</code>
        </pre>
        <CopyButton text={created.secret} label="API key secret" />
      </div>
      <button type="button" className="secondary" onClick={onDone}>
        I have copied the secret
      </button>
    </div>
  );
}

const EXPIRY_CHOICES = [
  ["never", "Never"],
  ["7", "7 days"],
  ["30", "30 days"],
  ["90", "90 days"],
  ["365", "1 year"],
] as const;

function CreateKey({ onCreated }: { onCreated: (k: ApiKeyCreated) => void }) {
  const { api } = useAuth();
  const [form, setForm] = useState<KeyForm>({ description: "", scope: "read", channels: "", expiry: "90" });
  const [errors, setErrors] = useState<KeyFormErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof KeyForm>(field: K, value: KeyForm[K]) => {
    setForm((f) => ({ ...f, [field]: value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
    setFormError(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const request = keyRequest(form);
    if ("errors" in request) {
      setErrors(request.errors);
      return;
    }
    setBusy(true);
    setFormError(null);
    try {
      onCreated(await api.createKey(request.body));
      setForm((f) => ({ ...f, description: "" }));
    } catch (err) {
      const field = err instanceof ApiError ? fieldOfKeyError(err.code) : null;
      if (field) setErrors({ [field]: describeError(err) });
      else setFormError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-labelledby="create-key-heading">
      <h3 id="create-key-heading">Create a key</h3>
      <div className="field">
        <label htmlFor="key-description">Description</label>
        <input
          id="key-description"
          value={form.description}
          maxLength={220}
          onChange={(e) => set("description", e.target.value)}
          aria-describedby="key-description-help key-description-error"
          aria-invalid={errors.description ? true : undefined}
        />
        <p id="key-description-help" className="help">
          Where you will use it, e.g. “laptop” or “release CI”.
        </p>
        <ErrorText id="key-description-error">{errors.description}</ErrorText>
      </div>
      <div className="field">
        <label htmlFor="key-scope">Scope</label>
        <select
          id="key-scope"
          value={form.scope}
          onChange={(e) => set("scope", e.target.value as Scope)}
          aria-describedby="key-scope-error"
          aria-invalid={errors.scope ? true : undefined}
        >
          {SCOPES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        <ErrorText id="key-scope-error">{errors.scope}</ErrorText>
      </div>
      <div className="field">
        <label htmlFor="key-channels">Channels</label>
        <input
          id="key-channels"
          value={form.channels}
          onChange={(e) => set("channels", e.target.value)}
          autoCapitalize="none"
          spellCheck={false}
          aria-describedby="key-channels-help key-channels-error"
          aria-invalid={errors.channels ? true : undefined}
        />
        <p id="key-channels-help" className="help">
          Channel names separated by commas, to limit the key to them. Leave empty for every channel you have a role on.
        </p>
        <ErrorText id="key-channels-error">{errors.channels}</ErrorText>
      </div>
      <div className="field">
        <label htmlFor="key-expiry">Expires after</label>
        <select
          id="key-expiry"
          value={form.expiry}
          onChange={(e) => set("expiry", e.target.value)}
          aria-describedby="key-expiry-error"
          aria-invalid={errors.expiry ? true : undefined}
        >
          {EXPIRY_CHOICES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <ErrorText id="key-expiry-error">{errors.expiry}</ErrorText>
      </div>
      <ErrorText>{formError}</ErrorText>
      <button type="submit" disabled={busy}>
        {busy ? "Creating…" : "Create key"}
      </button>
    </form>
  );
}
