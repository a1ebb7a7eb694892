import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { ApiError, describeError } from "../api/errors";
import { useAuth } from "../auth/AuthContext";
import { safeReturnPath } from "../auth/oidc";
import { ErrorText, Loading } from "../components/Feedback";
import { RequireSignIn, usePageTitle } from "../components/Layout";
import { userNameProblem } from "../lib/names";

/** /account/username: a signed-in person without a username chooses one (once). */
export default function ChooseUsernamePage() {
  usePageTitle("Choose a username");
  const auth = useAuth();
  const [params] = useSearchParams();
  const next = safeReturnPath(params.get("next"));
  if (auth.status === "signed-in" && auth.me?.name) return <Navigate to={next} replace />;
  if (auth.status === "signed-in" && !auth.me && !auth.error) return <Loading what="Loading your account" />;
  if (auth.status !== "signed-in" || !auth.me) return <RequireSignIn what="choose a username">{null}</RequireSignIn>;
  return <ChooseForm next={next} />;
}

function ChooseForm({ next }: { next: string }) {
  const auth = useAuth();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [touched, setTouched] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const problem = userNameProblem(name);
  const shown = serverError ?? (touched && name ? problem : null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (problem) return;
    setBusy(true);
    setServerError(null);
    try {
      await auth.api.claimUsername(name);
      await auth.refreshMe();
      navigate(next, { replace: true });
    } catch (err) {
      setServerError(
        err instanceof ApiError && err.code === "username-taken"
          ? `“${name}” is taken: choose another username.`
          : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="narrow">
      <h1>Choose a username</h1>
      <p>
        Your username names you on Rillet: in channel members, the audit log and your API keys. You choose it once;
        it cannot be changed later.
      </p>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="username">Username</label>
          <input
            id="username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setServerError(null);
              setTouched(true);
            }}
            aria-invalid={shown ? true : undefined}
            aria-describedby="username-help username-error"
            maxLength={60}
            required
          />
          <p id="username-help" className="help">
            1–39 lower-case letters, digits, “-” or “_”, starting and ending with a letter or digit.
          </p>
          <ErrorText id="username-error">{shown}</ErrorText>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save username"}
        </button>
      </form>
    </section>
  );
}
