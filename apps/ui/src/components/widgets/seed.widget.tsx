import { useEffect, useState } from 'react';
import { clampToField, randomSeed } from '../../graph/param-fields';
import type { WidgetProps } from './widget.types';
import { FIELD_CLASSES } from './widget.types';

/**
 * A seed: a number, a dice that picks a new one now, "random each run" (-1:
 * the server picks a new seed every run, never cached), and the seed the last
 * run actually used, with a button to keep it.
 */
export function SeedWidget({ field, value, onChange, idPrefix, usedSeed }: WidgetProps<'seed'>) {
  const current = typeof value === 'number' ? value : typeof field.default === 'number' ? field.default : -1;
  const randomEachRun = current === -1;
  const [draft, setDraft] = useState(randomEachRun ? '' : String(current));
  useEffect(() => setDraft(randomEachRun ? '' : String(current)), [current, randomEachRun]);

  const commit = (text: string) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) return setDraft(randomEachRun ? '' : String(current));
    const v = clampToField(field, n);
    setDraft(String(v));
    if (v !== current) onChange(v);
  };

  return (
    <div className="mf-seed">
      <div className="mf-seed-row">
        <input
          id={idPrefix}
          className={`mf-input mf-number-box ${FIELD_CLASSES}`}
          type="number"
          aria-label={field.label}
          placeholder={randomEachRun ? 'random each run' : undefined}
          disabled={randomEachRun}
          step={1}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={(e) => commit(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit((e.target as HTMLInputElement).value);
          }}
        />
        <button
          type="button"
          className={`mf-icon-btn ${FIELD_CLASSES}`}
          title="New random seed"
          aria-label="Randomize seed"
          onClick={() => onChange(randomSeed(field))}
        >
          ⚄
        </button>
      </div>
      <label className={`mf-check ${FIELD_CLASSES}`}>
        <input
          type="checkbox"
          aria-label="Random seed each run"
          checked={randomEachRun}
          onChange={(e) => onChange(e.target.checked ? -1 : (usedSeed ?? randomSeed(field)))}
        />
        random each run
      </label>
      {usedSeed !== undefined && (
        <div className="mf-seed-used" data-testid="used-seed">
          last run used <b>{usedSeed}</b>
          {usedSeed !== current && (
            <button
              type="button"
              className={`mf-link-btn ${FIELD_CLASSES}`}
              onClick={() => onChange(usedSeed)}
            >
              keep
            </button>
          )}
        </div>
      )}
    </div>
  );
}
