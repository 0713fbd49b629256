import { resolveConflict } from '../actions/workflow.actions';
import { useEditorStore } from '../store/editor.store';
import { useUiStore } from '../store/ui.store';

/** A save refused with 409: someone saved this workflow since it was opened here. */
export function ConflictDialog() {
  const conflict = useUiStore((s) => s.conflict);
  const name = useEditorStore((s) => s.meta.name);
  if (!conflict) return null;
  return (
    <div className="mf-modal-backdrop" role="presentation">
      <div
        className="mf-modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="mf-conflict-title"
        data-testid="conflict-dialog"
      >
        <h2 id="mf-conflict-title">"{name}" was changed elsewhere</h2>
        <p>
          Someone saved this workflow (in another tab, by another person, or from the API) after you opened
          it, at revision {conflict.mine}. Saving now would silently throw their changes away, so it was
          refused.
        </p>
        <p className="mf-muted">{conflict.message}</p>
        <div className="mf-modal-actions">
          <button
            type="button"
            className="mf-btn"
            onClick={() => void resolveConflict('reload')}
            title="Load their version; your unsaved changes are lost"
          >
            Reload theirs
          </button>
          <button
            type="button"
            className="mf-btn mf-btn-danger"
            onClick={() => void resolveConflict('overwrite')}
            title="Save your version over theirs"
          >
            Overwrite with mine
          </button>
          <button
            type="button"
            className="mf-btn mf-btn-primary"
            onClick={() => void resolveConflict('copy')}
            title="Keep both: save yours as a new workflow"
          >
            Save mine as a copy
          </button>
          <button
            type="button"
            className="mf-btn"
            onClick={() => useUiStore.getState().setConflict(undefined)}
          >
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
