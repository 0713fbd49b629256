import { createHash, randomUUID } from 'node:crypto';
import type {
  AnyNodeDefinition,
  ArtifactStore,
  Logger,
  NodeRegistry,
  NodeServices,
  PreviewImage,
} from '@maskflow/nodes';
import type {
  ErrorInfo,
  NodeRunSummary,
  RunEvent,
  RunEventType,
  Workflow,
  WorkflowNode,
} from '@maskflow/workflow';
import {
  ancestorsOf,
  CancelledError,
  MaskflowError,
  toErrorInfo,
  topologicalOrder,
  validateWorkflow,
  WorkflowValidationError,
} from '@maskflow/workflow';
import { createNodeContext, silentLogger } from './context';
import type { NodeOutputs } from './output-cache';
import { OutputCache } from './output-cache';

export interface EngineOptions {
  registry: NodeRegistry;
  /** Shared across runs so a re-run reuses unchanged nodes. */
  cache?: OutputCache;
  /** How many independent nodes may execute at once. */
  concurrency?: number;
  log?: Logger;
  services?: NodeServices;
}

export interface RunOptions {
  runId?: string;
  /** Execute only this node and what it needs. */
  target?: string;
  signal?: AbortSignal;
  artifacts: ArtifactStore;
  onEvent?(event: RunEvent): void;
  /** Sequence numbers for events; the server passes its own so `run.queued` can come first. */
  nextSeq?(): number;
}

export type RunStatus = 'finished' | 'failed' | 'cancelled';

export interface RunResult {
  runId: string;
  status: RunStatus;
  ms: number;
  /** Every node of the (targeted) graph with what happened to it. */
  nodes: Record<string, NodeRunSummary>;
  /** Outputs of output nodes (SaveImage) and of the target node, by node id and handle. */
  outputs: Record<string, NodeOutputs>;
  error?: ErrorInfo;
}

/** Keys sorted recursively, so equal params give equal cache keys whatever their order. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

interface Planned {
  node: WorkflowNode;
  def: AnyNodeDefinition;
  params: Record<string, unknown>;
  preds: Array<{ input: string; source: string; handle: string }>;
  succs: string[];
}

/**
 * Executes workflows: topological order, bounded concurrency for independent
 * branches, an output cache keyed by (type@version, params, input keys),
 * cooperative cancellation, lifecycle events with timings.
 */
export class Engine {
  readonly cache: OutputCache;
  private readonly concurrency: number;
  private readonly log: Logger;

  constructor(private readonly opts: EngineOptions) {
    this.cache = opts.cache ?? new OutputCache();
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.log = opts.log ?? silentLogger;
  }

  /** Validates and runs a workflow document. Never throws: failures are in the result and the events. */
  async run(doc: unknown, o: RunOptions): Promise<RunResult> {
    const runId = o.runId ?? randomUUID();
    const t0 = performance.now();
    let seq = 0;
    const nextSeq = o.nextSeq ?? (() => ++seq);
    const emit = (type: RunEventType, data: Record<string, unknown>, nodeId?: string) => {
      try {
        o.onEvent?.({ type, runId, seq: nextSeq(), ts: Date.now(), ...(nodeId ? { nodeId } : {}), data });
      } catch (err) {
        this.log.error(`event listener failed: ${String(err)}`);
      }
    };
    const summaries: Record<string, NodeRunSummary> = {};
    const finish = (
      status: RunStatus,
      error?: ErrorInfo,
      outputs: Record<string, NodeOutputs> = {},
    ): RunResult => {
      const ms = performance.now() - t0;
      const result: RunResult = { runId, status, ms, nodes: summaries, outputs, ...(error ? { error } : {}) };
      const type =
        status === 'finished' ? 'run.finished' : status === 'failed' ? 'run.failed' : 'run.cancelled';
      emit(type, {
        ms,
        nodes: summaries,
        ...(error ? { error } : {}),
        ...(status === 'finished' ? { outputs: describeOutputs(outputs) } : {}),
      });
      return result;
    };

    const { workflow, issues } = validateWorkflow(doc, this.opts.registry.catalog, { target: o.target });
    if (!workflow || issues.length) {
      return finish('failed', new WorkflowValidationError(issues).toJSON());
    }

    const plan = this.plan(workflow, o.target);
    for (const id of plan.order) summaries[id] = { status: 'pending' };
    emit('run.started', { nodes: plan.order, target: o.target ?? null });

    const controller = new AbortController();
    const onAbort = () => controller.abort(o.signal?.reason);
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const values = new Map<string, NodeOutputs>();
    const keys = new Map<string, string>();
    const remaining = new Map(plan.order.map((id) => [id, plan.nodes.get(id)!.preds.length]));
    const ready: string[] = plan.order.filter((id) => remaining.get(id) === 0);
    const position = new Map(plan.order.map((id, i) => [id, i]));
    const running = new Map<string, Promise<void>>();
    let failure: ErrorInfo | undefined;

    const release = (id: string) => {
      for (const s of plan.nodes.get(id)!.succs) {
        const left = remaining.get(s)! - 1;
        remaining.set(s, left);
        if (left === 0) ready.push(s);
      }
      ready.sort((a, b) => position.get(a)! - position.get(b)!);
    };

    const execute = async (id: string): Promise<void> => {
      const p = plan.nodes.get(id)!;
      const started = performance.now();
      const warnings: string[] = [];
      try {
        if (controller.signal.aborted) throw new CancelledError();
        const ctx = createNodeContext({
          runId,
          nodeId: id,
          signal: controller.signal,
          artifacts: o.artifacts,
          log: this.log,
          services: this.opts.services,
          onProgress: (value: number, max: number, preview?: PreviewImage, phase?: string) =>
            emit(
              'node.progress',
              { value, max, ...(phase ? { phase } : {}), ...(preview ? { preview } : {}) },
              id,
            ),
          onWarning: (m) => warnings.push(m),
        });
        const key = await this.cacheKey(p, keys, ctx);
        keys.set(id, key);
        const hit = this.isCacheable(p) ? await this.cache.get(key) : undefined;
        if (hit) {
          values.set(id, hit);
          summaries[id] = { status: 'cached', cached: true, ms: 0 };
          emit('node.cached', { key, outputs: describeOutputs({ [id]: hit })[id], ...previewsOf(hit) }, id);
          return;
        }
        summaries[id] = { status: 'running' };
        emit('node.started', { type: p.def.type }, id);
        const inputs: Record<string, unknown> = {};
        for (const e of p.preds) inputs[e.input] = values.get(e.source)![e.handle];
        const out = (await p.def.execute({ inputs, params: p.params, ctx })) as NodeOutputs;
        ctx.throwIfAborted();
        for (const port of Object.keys(p.def.outputs as Record<string, unknown>)) {
          if (!(port in out)) throw new Error(`${p.def.type} returned no value for its output "${port}"`);
        }
        values.set(id, out);
        if (this.isCacheable(p)) await this.cache.set(key, out);
        const ms = performance.now() - started;
        summaries[id] = { status: 'done', ms, cached: false, ...(warnings.length ? { warnings } : {}) };
        emit(
          'node.finished',
          {
            ms,
            ...(warnings.length ? { warnings } : {}),
            outputs: describeOutputs({ [id]: out })[id],
            ...previewsOf(out),
          },
          id,
        );
      } catch (err) {
        const ms = performance.now() - started;
        if (err instanceof CancelledError || (controller.signal.aborted && !(err instanceof MaskflowError))) {
          summaries[id] = { status: 'cancelled', ms };
          throw new CancelledError();
        }
        const info = toErrorInfo(err, id);
        summaries[id] = { status: 'failed', ms, error: info, ...(warnings.length ? { warnings } : {}) };
        emit('node.failed', { ms, error: info }, id);
        if (info.kind === 'internal')
          this.log.error(`node ${id} (${p.def.type}) failed: ${(err as Error)?.stack ?? String(err)}`);
        throw err;
      }
    };

    try {
      while (ready.length || running.size) {
        while (ready.length && running.size < this.concurrency && !failure && !controller.signal.aborted) {
          const id = ready.shift()!;
          const job = execute(id).then(
            () => {
              running.delete(id);
              release(id);
            },
            (err: unknown) => {
              running.delete(id);
              if (!(err instanceof CancelledError) && !failure) {
                failure = toErrorInfo(err, id);
                controller.abort(); // stop siblings early; their results no longer matter
              }
            },
          );
          running.set(id, job);
        }
        if (!running.size) break;
        await Promise.race(running.values());
      }
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }

    for (const id of plan.order)
      if (summaries[id].status === 'pending') summaries[id] = { status: 'skipped' };
    if (failure) return finish('failed', failure);
    if (controller.signal.aborted)
      return finish('cancelled', new CancelledError('the run was cancelled').toJSON());

    const outputs: Record<string, NodeOutputs> = {};
    for (const id of plan.order) {
      const p = plan.nodes.get(id)!;
      if (p.def.output || id === o.target) outputs[id] = values.get(id)!;
    }
    return finish('finished', undefined, outputs);
  }

  private plan(wf: Workflow, target?: string): { order: string[]; nodes: Map<string, Planned> } {
    const wanted = target ? ancestorsOf(target, wf.edges) : new Set(wf.nodes.map((n) => n.id));
    const nodes = new Map<string, Planned>();
    for (const node of wf.nodes) {
      if (!wanted.has(node.id)) continue;
      const def = this.opts.registry.get(node.type)!;
      const parsed = this.opts.registry.parseParams(def, node.params);
      if (!parsed.ok) throw new Error(`params of ${node.id} changed after validation`);
      nodes.set(node.id, { node, def, params: parsed.params, preds: [], succs: [] });
    }
    const edges = wf.edges.filter((e) => nodes.has(e.source) && nodes.has(e.target));
    for (const e of edges) {
      nodes.get(e.target)!.preds.push({ input: e.targetHandle, source: e.source, handle: e.sourceHandle });
      nodes.get(e.source)!.succs.push(e.target);
    }
    return { order: topologicalOrder([...nodes.keys()], edges), nodes };
  }

  /** Output nodes write files or records: they always run, so a run always delivers its results. */
  private isCacheable(p: Planned): boolean {
    if (p.def.output) return false;
    const c = p.def.cacheable;
    return typeof c === 'function' ? c(p.params) : c !== false;
  }

  /**
   * A Merkle key: the node's own identity plus the keys of what feeds it, so a
   * change anywhere upstream changes every key below it. Uncacheable nodes get
   * a fresh random key, which also makes everything downstream miss.
   */
  private async cacheKey(
    p: Planned,
    keys: Map<string, string>,
    ctx: Parameters<NonNullable<AnyNodeDefinition['fingerprint']>>[1],
  ): Promise<string> {
    if (!this.isCacheable(p)) return `uncacheable:${randomUUID()}`;
    const inputs = p.preds
      .map((e) => [e.input, keys.get(e.source)!, e.handle])
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const extra = p.def.fingerprint ? await p.def.fingerprint(p.params, ctx) : '';
    return createHash('sha256')
      .update(canonicalJson([`${p.def.type}@${p.def.version}`, p.params, inputs, extra]))
      .digest('hex');
  }
}

/**
 * The image, mask and masks outputs of a node, as the values themselves (by
 * reference, nothing copied), under `previews` in node.finished and
 * node.cached events. A host that shows them (the server) turns them into
 * small pictures before the event is stored or sent; the rest ignore them.
 * They are never JSON: a listener that stores events must replace them.
 */
export function previewsOf(out: NodeOutputs): { previews?: Record<string, unknown> } {
  const previews: Record<string, unknown> = {};
  for (const [port, v] of Object.entries(out)) {
    const kind = (v as { kind?: unknown } | null)?.kind;
    if (kind === 'image' || kind === 'mask' || kind === 'masks') previews[port] = v;
  }
  return Object.keys(previews).length ? { previews } : {};
}

/** A JSON-safe description of node outputs for events and summaries (no pixel data). */
export function describeOutputs(
  outputs: Record<string, NodeOutputs>,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [id, o] of Object.entries(outputs)) {
    out[id] = {};
    for (const [k, v] of Object.entries(o)) out[id][k] = describeValue(v);
  }
  return out;
}

function describeValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  switch (o.kind) {
    case 'image':
      return { kind: 'image', width: o.width, height: o.height, channels: o.channels };
    case 'mask':
      return { kind: 'mask', width: o.width, height: o.height };
    case 'masks':
      return { kind: 'masks', width: o.width, height: o.height, count: (o.items as unknown[]).length };
    case 'boxes':
      return o;
    case 'artifact':
      return o;
    default:
      return o;
  }
}
