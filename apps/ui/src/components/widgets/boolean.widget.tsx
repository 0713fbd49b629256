import type { WidgetProps } from './widget.types';
import { FIELD_CLASSES } from './widget.types';

export function BooleanWidget({ field, value, onChange, idPrefix }: WidgetProps<'boolean'>) {
  const on = typeof value === 'boolean' ? value : field.default === true;
  return (
    <input
      id={idPrefix}
      className={`mf-toggle ${FIELD_CLASSES}`}
      type="checkbox"
      aria-label={field.label}
      checked={on}
      onChange={(e) => onChange(e.target.checked)}
    />
  );
}
