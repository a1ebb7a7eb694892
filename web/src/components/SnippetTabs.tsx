import type { Snippet as SnippetData } from "../lib/snippets";
import { Snippet } from "./CopyButton";

/** A list of commands, one titled block each (no hidden tabs: every client visible). */
export function SnippetList({ snippets, headingLevel = 3 }: { snippets: SnippetData[]; headingLevel?: 3 | 4 }) {
  const H = headingLevel === 3 ? "h3" : "h4";
  return (
    <div className="snippets">
      {snippets.map((s) => (
        <div key={s.id}>
          <H>{s.title}</H>
          <Snippet code={s.code} label={`${s.title} command`} />
          {s.note && <p className="help">{s.note}</p>}
        </div>
      ))}
    </div>
  );
}
