import { useEffect } from 'react';
import { useModelsStore } from '../../store/models.store';
import { TextWidget } from './text.widget';
import type { WidgetProps } from './widget.types';
import { FIELD_CLASSES } from './widget.types';

const STATE_TEXT: Record<string, string> = {
  installed: '',
  partial: ' (partly downloaded)',
  missing: ' (not downloaded)',
  invalid: ' (invalid)',
};

/**
 * A model id, picked from the server's model manifest (the models of the
 * node's kind, with whether each is downloaded). Without a manifest it is a
 * plain text field.
 */
export function ModelWidget({ field, value, onChange, idPrefix }: WidgetProps<'model'>) {
  const { status, models } = useModelsStore();
  useEffect(() => useModelsStore.getState().ensure(), []);
  const options = models.filter((m) => !field.modelKind || !m.kind || m.kind === field.modelKind);
  const current = typeof value === 'string' ? value : typeof field.default === 'string' ? field.default : '';
  if (status !== 'ready' || !options.length) {
    return (
      <TextWidget
        field={{ ...field, kind: 'text', multiline: false }}
        value={value}
        onChange={onChange}
        idPrefix={idPrefix}
      />
    );
  }
  const picked = options.find((m) => m.id === current);
  return (
    <div className="mf-model">
      <select
        id={idPrefix}
        className={`mf-input mf-select ${FIELD_CLASSES}${picked ? '' : ' mf-invalid'}`}
        aria-label={field.label}
        value={current}
        onChange={(e) => onChange(e.target.value)}
      >
        {!picked && <option value={current}>{current || '(none)'} (not in the manifest)</option>}
        {options.map((m) => (
          <option key={m.id} value={m.id}>
            {m.title ? `${m.title} (${m.id})` : m.id}
            {STATE_TEXT[m.state] ?? ` (${m.state})`}
          </option>
        ))}
      </select>
      {picked && picked.state !== 'installed' && (
        <div className="mf-field-hint" title={picked.problem ?? picked.missing.join(', ')}>
          Not downloaded yet: <code>maskflow models pull {picked.id}</code>
        </div>
      )}
    </div>
  );
}
