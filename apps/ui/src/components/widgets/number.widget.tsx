import { useEffect, useState } from 'react';
import { clampToField } from '../../graph/param-fields';
import type { WidgetProps } from './widget.types';
import { FIELD_CLASSES } from './widget.types';

function limitsText(f: WidgetProps<'slider' | 'number'>['field']): string {
  const lo = f.min === undefined ? '' : `${f.exclusiveMin ? '>' : '≥'} ${f.min}`;
  const hi = f.max === undefined ? '' : `${f.exclusiveMax ? '<' : '≤'} ${f.max}`;
  return [lo, hi].filter(Boolean).join(', ');
}

/**
 * A number with its limits: a slider beside a number box when the schema asks
 * for one, else the box alone. The box keeps what is typed until it is a
 * valid number, then commits it clamped to the limits.
 */
export function NumberWidget({ field, value, onChange, idPrefix }: WidgetProps<'slider' | 'number'>) {
  const current =
    typeof value === 'number' ? value : typeof field.default === 'number' ? field.default : undefined;
  const [draft, setDraft] = useState(current === undefined ? '' : String(current));
  useEffect(() => setDraft(current === undefined ? '' : String(current)), [current]);
  const parsed = draft.trim() === '' ? NaN : Number(draft);
  const clearable = !field.required && field.default === undefined;
  const invalid =
    draft.trim() === '' ? !clearable : !Number.isFinite(parsed) || clampToField(field, parsed) !== parsed;

  const commit = (text: string) => {
    const n = Number(text);
    // An optional param without a default may be left out: clearing the box removes it.
    if (text.trim() === '' && !field.required && field.default === undefined) {
      if (current !== undefined) onChange(undefined);
      return;
    }
    if (text.trim() === '' || !Number.isFinite(n)) {
      setDraft(current === undefined ? '' : String(current));
      return;
    }
    const v = clampToField(field, n);
    setDraft(String(v));
    if (v !== current) onChange(v);
  };

  return (
    <div className="mf-number" title={limitsText(field)}>
      {field.kind === 'slider' && (
        <input
          type="range"
          aria-label={`${field.label} slider`}
          min={field.min}
          max={field.max}
          step={field.step ?? 'any'}
          value={current ?? field.min}
          className={`mf-slider ${FIELD_CLASSES}${current === undefined ? ' mf-unset' : ''}`}
          onChange={(e) => onChange(clampToField(field, Number(e.target.value)))}
        />
      )}
      <input
        id={`${idPrefix}`}
        className={`mf-input mf-number-box ${FIELD_CLASSES}${invalid ? ' mf-invalid' : ''}`}
        type="number"
        inputMode={field.integer ? 'numeric' : 'decimal'}
        aria-label={field.label}
        aria-invalid={invalid}
        min={field.min}
        max={field.max}
        step={field.step ?? 'any'}
        value={draft}
        placeholder={clearable ? 'off' : undefined}
        onChange={(e) => {
          setDraft(e.target.value);
          const n = Number(e.target.value);
          // Arrow keys and the spinner commit at once; free typing commits when valid.
          if (
            e.target.value.trim() !== '' &&
            Number.isFinite(n) &&
            clampToField(field, n) === n &&
            n !== current
          )
            onChange(n);
        }}
        onBlur={(e) => commit(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit((e.target as HTMLInputElement).value);
        }}
      />
    </div>
  );
}
