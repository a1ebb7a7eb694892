import type { ReactNode } from "react";

/** An error in words, announced to screen readers. Put it next to what caused it. */
export function ErrorText({ children, id }: { children: ReactNode; id?: string }) {
  if (children === null || children === undefined || children === false || children === "") return null;
  return (
    <p className="error" role="alert" id={id}>
      {children}
    </p>
  );
}

/** A page-level failure to load, with a retry button. */
export function LoadError({ text, onRetry }: { text: string; onRetry?: () => void }) {
  return (
    <div className="load-error" role="alert">
      <p>{text}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p className="loading" role="status">
      {what}…
    </p>
  );
}

/** What an empty list means and what to do next. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-next">{children}</div>}
    </div>
  );
}

/** A polite status line, e.g. "Saved." after a change. */
export function StatusText({ children }: { children: ReactNode }) {
  return (
    <p className="status" role="status">
      {children}
    </p>
  );
}
