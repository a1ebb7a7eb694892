// Load something when its inputs change; `reload()` fetches again. Results of a stale
// call (inputs changed meanwhile) are dropped.
import { useCallback, useEffect, useRef, useState, type DependencyList } from "react";
import { describeError } from "../api/errors";

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  /** the error in words, or null */
  errorText: string | null;
  loading: boolean;
  reload: () => void;
  /** replace the data in place (after a change the page already knows about) */
  setData: (update: T | ((old: T | undefined) => T)) => void;
}

export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    loadRef
      .current(controller.signal)
      .then((value) => {
        if (!controller.signal.aborted) {
          setDataState(value);
          setLoading(false);
        }
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) {
          setError(e);
          setLoading(false);
        }
      });
    return () => controller.abort();
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((update: T | ((old: T | undefined) => T)) => {
    setDataState((old) => (typeof update === "function" ? (update as (o: T | undefined) => T)(old) : update));
  }, []);

  return { data, error, errorText: error ? describeError(error) : null, loading, reload, setData };
}
