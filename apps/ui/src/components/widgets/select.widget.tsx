import type { WidgetProps } from './widget.types';
import { FIELD_CLASSES } from './widget.types';

export function SelectWidget({ field, value, onChange, idPrefix }: WidgetProps<'select'>) {
  const current = value ?? field.default ?? field.options[0];
  const known = field.options.some((o) => o === current);
  return (
    <select
      id={idPrefix}
      className={`mf-input mf-select ${FIELD_CLASSES}${known ? '' : ' mf-invalid'}`}
      aria-label={field.label}
      value={String(current)}
      onChange={(e) => {
        const picked = field.options.find((o) => String(o) === e.target.value);
        if (picked !== undefined) onChange(picked);
      }}
    >
      {!known && <option value={String(current)}>{String(current)} (unknown)</option>}
      {field.options.map((o) => (
        <option key={String(o)} value={String(o)}>
          {String(o)}
        </option>
      ))}
    </select>
  );
}
