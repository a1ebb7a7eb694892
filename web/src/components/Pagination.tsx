import { useCallback, useEffect, useMemo, useState } from "react";

export const PAGE_SIZE = 25;

/** Page through a list held in memory. The page resets when the list changes length. */
export function usePaged<T>(items: readonly T[], pageSize = PAGE_SIZE) {
  const [page, setPage] = useState(1);
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  useEffect(() => {
    if (page > pages) setPage(pages);
  }, [page, pages]);
  const current = Math.min(page, pages);
  const pageItems = useMemo(
    () => items.slice((current - 1) * pageSize, current * pageSize),
    [items, current, pageSize],
  );
  return { page: current, pages, pageItems, setPage };
}

/** Previous / next for a paged list; hidden when there is one page. */
export function Pager({
  page,
  pages,
  onPage,
  label = "Pages",
}: {
  page: number;
  pages: number;
  onPage: (page: number) => void;
  label?: string;
}) {
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="secondary" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        Previous page
      </button>
      <span aria-live="polite">
        Page {page} of {pages}
      </span>
      <button type="button" className="secondary" onClick={() => onPage(page + 1)} disabled={page >= pages}>
        Next page
      </button>
    </nav>
  );
}

/**
 * Pages of a cursor-paginated API list (packages, audit): keeps the cursors seen so
 * "Previous page" works too. `cursor` is the one to request now.
 */
export function useCursorPages() {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const cursor = stack[stack.length - 1] ?? null;
  const next = useCallback((nextCursor: string | null) => {
    if (nextCursor) setStack((s) => [...s, nextCursor]);
  }, []);
  const previous = useCallback(() => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)), []);
  const reset = useCallback(() => setStack([null]), []);
  return { cursor, page: stack.length, hasPrevious: stack.length > 1, next, previous, reset };
}

export function CursorPager({
  page,
  hasPrevious,
  nextCursor,
  onPrevious,
  onNext,
  label = "Pages",
}: {
  page: number;
  hasPrevious: boolean;
  nextCursor: string | null | undefined;
  onPrevious: () => void;
  onNext: (cursor: string | null) => void;
  label?: string;
}) {
  if (!hasPrevious && !nextCursor) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="secondary" onClick={onPrevious} disabled={!hasPrevious}>
        Previous page
      </button>
      <span aria-live="polite">Page {page}</span>
      <button type="button" className="secondary" onClick={() => onNext(nextCursor ?? null)} disabled={!nextCursor}>
        Next page
      </button>
    </nav>
  );
}
