import { useState } from 'react';
import type { WidgetProps } from './widget.types';
import { FIELD_CLASSES } from './widget.types';

/** Lists and objects (e.g. boxes) as JSON: kept as typed until it parses, then committed. */
export function JsonWidget({ field, value, onChange, idPrefix }: WidgetProps<'json' | 'boxes' | 'points'>) {
  const shown = JSON.stringify(value ?? field.default ?? null);
  const [draft, setDraft] = useState(shown);
  const [error, setError] = useState<string>();
  // A new value from outside (a drawn box, undo) replaces the text in the same
  // render, so the field never shows the old value for a frame.
  const [synced, setSynced] = useState(shown);
  if (synced !== shown) {
    setSynced(shown);
    setDraft(shown);
    setError(undefined);
  }
  const commit = (text: string) => {
    try {
      const v: unknown = JSON.parse(text);
      setError(undefined);
      if (JSON.stringify(v) !== shown) onChange(v);
    } catch (err) {
      setError(err instanceof Error ? err.message : 'not JSON');
    }
  };
  return (
    <div className="mf-json">
      <textarea
        id={idPrefix}
        className={`mf-input mf-textarea mf-mono ${FIELD_CLASSES}${error ? ' mf-invalid' : ''}`}
        aria-label={field.label}
        rows={Math.min(6, Math.max(1, Math.ceil(draft.length / 34)))}
        spellCheck={false}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={(e) => commit(e.target.value)}
      />
      {error && <div className="mf-field-error">{error}</div>}
    </div>
  );
}
