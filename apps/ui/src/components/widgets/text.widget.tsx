import type { WidgetProps } from './widget.types';
import { FIELD_CLASSES } from './widget.types';

/** Prompts are multiline (Enter is a newline, the box grows with the text); other strings are one line. */
export function TextWidget({ field, value, onChange, idPrefix }: WidgetProps<'text'>) {
  const text = typeof value === 'string' ? value : typeof field.default === 'string' ? field.default : '';
  // An optional param without a default is left out when empty (an empty string may not be valid for it).
  const emit = (v: string) =>
    onChange(v === '' && !field.required && field.default === undefined ? undefined : v);
  // Empty is fine for an optional param without a default: it is left out.
  const optionalEmpty = text === '' && !field.required && field.default === undefined;
  const tooShort = !optionalEmpty && field.minLength !== undefined && text.length < field.minLength;
  const cls = `mf-input ${FIELD_CLASSES}${tooShort ? ' mf-invalid' : ''}`;
  if (field.multiline) {
    return (
      <textarea
        id={idPrefix}
        className={`${cls} mf-textarea`}
        aria-label={field.label}
        rows={Math.min(8, Math.max(2, text.split('\n').length))}
        maxLength={field.maxLength}
        placeholder={field.description}
        value={text}
        onChange={(e) => emit(e.target.value)}
      />
    );
  }
  return (
    <input
      id={idPrefix}
      className={cls}
      type="text"
      aria-label={field.label}
      maxLength={field.maxLength}
      placeholder={field.description}
      value={text}
      onChange={(e) => emit(e.target.value)}
    />
  );
}
