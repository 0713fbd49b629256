import type { NodeSpec, RunEvent } from '@maskflow/workflow';
import { nodeSpecListSchema } from '../src/api/schemas';
import { useEditorStore } from '../src/store/editor.store';
import { useRunStore } from '../src/store/run.store';
import { useSpecsStore } from '../src/store/specs.store';
import type { SocketLike } from '../src/api/run-channel';
import raw from './fixtures/node-specs.json';

/** Real NodeSpecs (dumped from the node registry) plus a FakeInpaint shaped like SDInpaint (prompt, seed, steps). */
export function fixtureSpecs(): NodeSpec[] {
  return nodeSpecListSchema.parse(raw).specs;
}

export function spec(type: string): NodeSpec {
  const s = fixtureSpecs().find((x) => x.type === type);
  if (!s) throw new Error(`no fixture spec ${type}`);
  return s;
}

/** Fresh stores with the fixture node types loaded. */
export function resetStores(): void {
  useSpecsStore.getState().setSpecs(fixtureSpecs());
  useEditorStore
    .getState()
    .load({ version: 1, nodes: [], edges: [], inputs: {} }, { name: 'Untitled workflow', description: '' });
  useEditorStore.setState({ clipboard: null });
  useRunStore.setState({ runs: {}, currentRunId: undefined, connection: 'connected' });
}

let ts = 1_700_000_000_000;
export function ev(
  runId: string,
  seq: number,
  type: RunEvent['type'],
  data: Record<string, unknown> = {},
  nodeId?: string,
): RunEvent {
  return { type, runId, seq, ts: ts++, data, ...(nodeId ? { nodeId } : {}) };
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** The run id FakeSocket acknowledges by default. */
export const FAKE_RUN = '22222222-2222-4222-8222-222222222222';

/** A socket.io stand-in: the test plays the server. */
export class FakeSocket implements SocketLike {
  connected = false;
  private listeners = new Map<string, Array<(...a: unknown[]) => void>>();
  sent: Array<{ event: string; payload: unknown }> = [];
  answer: (event: string, payload: unknown) => unknown = () => ({
    ok: true,
    runId: FAKE_RUN,
    status: 'running',
    lastSeq: 0,
  });
  on(event: string, l: (...a: unknown[]) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), l]);
  }
  async emitWithAck(event: string, payload: unknown) {
    this.sent.push({ event, payload });
    return this.answer(event, payload);
  }
  fire(event: string, ...args: unknown[]) {
    for (const l of this.listeners.get(event) ?? []) l(...args);
  }
  connect() {
    this.connected = true;
    this.fire('connect');
  }
  drop() {
    this.connected = false;
    this.fire('disconnect', 'transport close');
  }
}
