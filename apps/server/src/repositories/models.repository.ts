import { Injectable } from '@nestjs/common';

/** What the server reads of a model's status; a subset of @maskflow/models' ModelStatus. */
export interface ModelStatusView {
  id: string;
  title: string | null;
  kind: string | null;
  state: string;
  missing: string[];
  problem?: string;
}

interface ModelManagerLike {
  list(): Promise<ModelStatusView[]>;
}
interface ModelsModuleLike {
  ModelManager?: new () => ModelManagerLike;
}

/**
 * The model library, loaded on first use. It is built alongside the server;
 * until it loads and lists models, the API reports an empty list and why.
 */
@Injectable()
export class ModelsRepository {
  async list(): Promise<{ models: ModelStatusView[]; note?: string }> {
    let mod: ModelsModuleLike;
    try {
      // A string the compiler does not follow: the server must start even while this library changes shape.
      const name = '@maskflow/models';
      mod = (await import(name)) as ModelsModuleLike;
    } catch (err) {
      return { models: [], note: `the models library is not available: ${message(err)}` };
    }
    if (typeof mod.ModelManager !== 'function')
      return { models: [], note: 'the models library has no ModelManager yet' };
    try {
      const models = await new mod.ModelManager().list();
      return {
        models: models.map((m) => ({
          id: m.id,
          title: m.title ?? null,
          kind: m.kind ?? null,
          state: m.state,
          missing: m.missing ?? [],
          ...(m.problem ? { problem: m.problem } : {}),
        })),
      };
    } catch (err) {
      return { models: [], note: `model status unavailable: ${message(err)}` };
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}
