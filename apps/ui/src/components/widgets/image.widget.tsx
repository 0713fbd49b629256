import { useEffect, useRef, useState } from 'react';
import { artifactIdSchema } from '@maskflow/workflow';
import { api } from '../../api/api.client';
import { errorMessage } from '../../api/run-channel';
import { MaskPainterDialog } from '../mask-painter.dialog';
import type { WidgetProps } from './widget.types';
import { FIELD_CLASSES } from './widget.types';

function imageFrom(list: FileList | null | undefined): File | undefined {
  return Array.from(list ?? []).find((f) => f.type.startsWith('image/') || f.type === '');
}

/**
 * An image param: drop a file on it or pick one; it is uploaded
 * (POST /api/artifacts, checked and re-encoded by the server) and the param
 * holds the artifact id the server returns. "Paint mask" paints on the
 * upload; saving makes a new upload with the mask as its alpha (Load Image's
 * mask output) and the param takes its id, one undoable change.
 */
export function ImageWidget({ field, value, onChange, idPrefix }: WidgetProps<'image'>) {
  const input = useRef<HTMLInputElement>(null);
  const [state, setState] = useState<{ busy?: boolean; error?: string; name?: string; size?: string }>({});
  const [over, setOver] = useState(false);
  const [painting, setPainting] = useState(false);
  const paintButton = useRef<HTMLButtonElement>(null);
  const id = typeof value === 'string' ? value : '';
  const isArtifact = artifactIdSchema.safeParse(id).success;

  const closePainter = () => setPainting(false);
  // Focus goes back to the button once the painter is gone (and the editor no longer inert).
  const wasPainting = useRef(false);
  useEffect(() => {
    if (wasPainting.current && !painting) paintButton.current?.focus();
    wasPainting.current = painting;
  }, [painting]);

  const upload = async (file: File | undefined) => {
    if (!file) {
      setState({ error: 'drop an image file (PNG, JPEG, WebP…)' });
      return;
    }
    setState({ busy: true, name: file.name });
    try {
      const rec = await api.uploadArtifact(file, file.name);
      setState({
        name: rec.name ?? file.name,
        size: rec.width && rec.height ? `${rec.width}×${rec.height}` : undefined,
      });
      onChange(rec.id);
    } catch (err) {
      setState({ error: errorMessage(err), name: file.name });
    }
  };

  return (
    <div
      className={`mf-image ${FIELD_CLASSES}${over ? ' mf-drop-over' : ''}${state.error ? ' mf-invalid' : ''}`}
      data-testid="image-drop"
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        e.stopPropagation();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        e.stopPropagation();
        setOver(false);
        void upload(imageFrom(e.dataTransfer.files));
      }}
    >
      {isArtifact ? (
        <img
          className="mf-image-thumb"
          src={api.thumbnailUrl(id, 192)}
          alt={state.name ?? 'uploaded image'}
          draggable={false}
        />
      ) : (
        <div className="mf-image-empty">
          {id ? <span title={id}>not an uploaded image: {id.slice(0, 40)}</span> : 'Drop an image here'}
        </div>
      )}
      <div className="mf-image-bar">
        <button
          type="button"
          className={`mf-btn mf-btn-small ${FIELD_CLASSES}`}
          disabled={state.busy}
          onClick={() => input.current?.click()}
        >
          {state.busy ? 'Uploading…' : isArtifact ? 'Replace…' : 'Choose image…'}
        </button>
        {isArtifact && (
          <button
            ref={paintButton}
            type="button"
            className={`mf-btn mf-btn-small ${FIELD_CLASSES}`}
            disabled={state.busy}
            aria-label="Paint mask"
            title="Paint a mask on this image: Load Image's mask output selects what is painted"
            onClick={() => setPainting(true)}
          >
            Paint mask
          </button>
        )}
        {(state.name || state.size) && !state.busy && (
          <span className="mf-image-name" title={state.name}>
            {state.name} {state.size}
          </span>
        )}
      </div>
      {state.error && <div className="mf-field-error">{state.error}</div>}
      {painting && (
        <MaskPainterDialog
          artifactId={id}
          onSaved={(rec) => {
            setState({
              name: rec.name ?? state.name,
              size: rec.width && rec.height ? `${rec.width}×${rec.height}` : state.size,
            });
            onChange(rec.id);
            closePainter();
          }}
          onClose={closePainter}
        />
      )}
      <input
        ref={input}
        id={idPrefix}
        type="file"
        accept="image/*"
        aria-label={field.label}
        hidden
        onChange={(e) => {
          void upload(imageFrom(e.target.files));
          e.target.value = '';
        }}
      />
    </div>
  );
}
