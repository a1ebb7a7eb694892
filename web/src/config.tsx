// GET /api/v1/config, loaded once before anything else: the identity provider to sign
// in with and the deployment's limits.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { createApi } from "./api/client";
import { describeError } from "./api/errors";
import type { PublicConfig } from "./api/types";

const ConfigContext = createContext<PublicConfig | null>(null);

export function ConfigProvider({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<PublicConfig | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    setError(null);
    createApi()
      .config()
      .then((c) => live && setConfig(c))
      .catch((e: unknown) => live && setError(describeError(e)));
    return () => {
      live = false;
    };
  }, [attempt]);

  if (error) {
    return (
      <main id="main" className="boot">
        <h1>Rillet could not start</h1>
        <p role="alert">Loading the deployment's settings failed: {error}</p>
        <button type="button" onClick={() => setAttempt((a) => a + 1)}>
          Try again
        </button>
      </main>
    );
  }
  if (!config) {
    return (
      <main id="main" className="boot" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  }
  return <ConfigContext.Provider value={config}>{children}</ConfigContext.Provider>;
}

export function useConfig(): PublicConfig {
  const config = useContext(ConfigContext);
  if (!config) throw new Error("useConfig outside ConfigProvider");
  return config;
}
