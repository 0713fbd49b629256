import type { WidgetProps } from './widget.types';
import { FIELD_CLASSES } from './widget.types';

const HEX = /^#[0-9a-fA-F]{6}$/;

export function ColorWidget({ field, value, onChange, idPrefix }: WidgetProps<'color'>) {
  const color =
    typeof value === 'string' && HEX.test(value)
      ? value
      : typeof field.default === 'string'
        ? field.default
        : '#000000';
  return (
    <div className="mf-color">
      <input
        id={idPrefix}
        className={FIELD_CLASSES}
        type="color"
        aria-label={field.label}
        value={color}
        onChange={(e) => onChange(e.target.value)}
      />
      <code>{color}</code>
    </div>
  );
}
