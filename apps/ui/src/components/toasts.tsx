import { useUiStore } from '../store/ui.store';

export function Toasts() {
  const toasts = useUiStore((s) => s.toasts);
  const dismiss = useUiStore((s) => s.dismiss);
  return (
    <div className="mf-toasts" aria-live="polite">
      {toasts.map((t) => (
        <div
          key={t.id}
          className={`mf-toast mf-toast-${t.kind}`}
          role={t.kind === 'error' ? 'alert' : 'status'}
          onClick={() => dismiss(t.id)}
        >
          {t.text}
        </div>
      ))}
    </div>
  );
}
