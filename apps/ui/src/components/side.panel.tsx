import type { SideTab } from '../store/ui.store';
import { useUiStore } from '../store/ui.store';
import { GalleryPanel } from './gallery.panel';
import { InputsPanel } from './inputs.panel';
import { ProblemsPanel } from './problems.panel';
import { RunsPanel } from './runs.panel';

const TABS: Array<{ id: SideTab; label: string }> = [
  { id: 'inputs', label: 'Inputs' },
  { id: 'runs', label: 'Runs' },
  { id: 'gallery', label: 'Gallery' },
  { id: 'problems', label: 'Problems' },
];

export function SidePanel() {
  const tab = useUiStore((s) => s.sideTab);
  const setTab = useUiStore((s) => s.setSideTab);
  const problems = useUiStore((s) => s.issues.length);
  return (
    <aside className="mf-side" aria-label="Side panel">
      <nav className="mf-tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            className={`mf-tab${tab === t.id ? ' mf-current' : ''}`}
            onClick={() => setTab(t.id)}
          >
            {t.label}
            {t.id === 'problems' && problems > 0 ? <span className="mf-badge">{problems}</span> : null}
          </button>
        ))}
      </nav>
      <div className="mf-side-body" role="tabpanel">
        {tab === 'inputs' && <InputsPanel />}
        {tab === 'runs' && <RunsPanel />}
        {tab === 'gallery' && <GalleryPanel />}
        {tab === 'problems' && <ProblemsPanel />}
      </div>
    </aside>
  );
}
