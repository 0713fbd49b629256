import { useEffect } from 'react';
import { runGraph } from '../actions/run.actions';
import { saveWorkflow } from '../actions/workflow.actions';
import type { ClipboardFragment } from '../store/editor.store';
import { useEditorStore } from '../store/editor.store';
import { useUiStore } from '../store/ui.store';

function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== 'string') return false;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select' || el.isContentEditable) return true;
  if (tag !== 'input') return false;
  const type = (el as HTMLInputElement).type;
  return !['checkbox', 'radio', 'range', 'button', 'color', 'file'].includes(type);
}

function isFragment(v: unknown): v is ClipboardFragment {
  const o = v as Partial<ClipboardFragment> | null;
  return !!o && o.maskflowClipboard === 1 && Array.isArray(o.nodes) && Array.isArray(o.edges);
}

/**
 * The editor's keys: Ctrl+S save, Ctrl+Enter run (Ctrl+Shift+Enter: up to the
 * selected node), Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo and redo, Ctrl+C /
 * Ctrl+V / Ctrl+D copy, paste and duplicate, Delete to remove, Ctrl+A to select
 * all. Copy also puts the nodes on the system clipboard as JSON, so they can
 * be pasted into another tab.
 */
export function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      const editor = useEditorStore.getState();
      const inField = typingIn(e.target);
      if (mod && key === 's') {
        e.preventDefault();
        void saveWorkflow();
        return;
      }
      if (mod && key === 'enter') {
        e.preventDefault();
        const sel = editor.nodes.filter((n) => n.selected);
        void runGraph(e.shiftKey && sel.length === 1 ? sel[0].id : undefined);
        return;
      }
      if (key === 'escape') {
        useUiStore.getState().setWorkflowsOpen(false);
        return;
      }
      if (inField) return;
      if (mod && key === 'z') {
        e.preventDefault();
        if (e.shiftKey) editor.redo();
        else editor.undo();
      } else if (mod && key === 'y') {
        e.preventDefault();
        editor.redo();
      } else if (mod && key === 'c') {
        if (window.getSelection()?.toString()) return;
        editor.copySelection();
      } else if (mod && key === 'v') {
        editor.paste();
        // The paste event that may follow must not paste the same fragment twice.
        pastedByKey = JSON.stringify(editor.clipboard);
      } else if (mod && key === 'd') {
        e.preventDefault();
        const frag = editor.copySelection();
        if (frag) editor.paste(frag);
      } else if (mod && key === 'a') {
        e.preventDefault();
        editor.selectNodes(editor.nodes.map((n) => n.id));
      } else if (key === 'delete' || key === 'backspace') {
        e.preventDefault();
        editor.deleteSelection();
      }
    };
    let pastedByKey: string | undefined;
    const onCopy = (e: ClipboardEvent) => {
      if (typingIn(e.target) || window.getSelection()?.toString()) return;
      const frag = useEditorStore.getState().copySelection();
      if (!frag || !e.clipboardData) return;
      e.clipboardData.setData('text/plain', JSON.stringify(frag));
      e.preventDefault();
    };
    const onPaste = (e: ClipboardEvent) => {
      if (typingIn(e.target)) return;
      const text = e.clipboardData?.getData('text/plain');
      const already = pastedByKey;
      pastedByKey = undefined;
      if (!text) return;
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        return;
      }
      if (!isFragment(v)) return;
      e.preventDefault();
      if (already === JSON.stringify(v)) return;
      useEditorStore.getState().paste(v);
    };
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (useEditorStore.getState().dirty) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('copy', onCopy);
    document.addEventListener('paste', onPaste);
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('paste', onPaste);
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, []);
}
