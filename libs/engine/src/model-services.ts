import { InferenceRuntime } from '@maskflow/inference';
import type { InferenceRuntimeOptions } from '@maskflow/inference';
import { ModelManager } from '@maskflow/models';
import type { ModelManagerOptions } from '@maskflow/models';
import type { NodeServices } from '@maskflow/nodes';

/**
 * The services model nodes use, created on first use: a run of classical
 * nodes never starts inference workers or reads the model manifest.
 */
export class ModelServices implements NodeServices {
  private runtime?: InferenceRuntime;
  private manager?: ModelManager;

  constructor(
    private readonly opts: { inference?: InferenceRuntimeOptions; models?: ModelManagerOptions } = {},
  ) {}

  get inference(): InferenceRuntime {
    return (this.runtime ??= new InferenceRuntime(this.opts.inference));
  }

  get models(): ModelManager {
    // Apps download missing weights on first use (as users of ComfyUI and IOPaint expect);
    // MASKFLOW_AUTO_DOWNLOAD=0 turns that off.
    const autoDownload = !/^(0|false|no)$/i.test(process.env.MASKFLOW_AUTO_DOWNLOAD ?? '');
    return (this.manager ??= new ModelManager({ autoDownload, ...this.opts.models }));
  }

  /** Whether the inference runtime has been started. */
  get started(): boolean {
    return this.runtime !== undefined;
  }

  /** Stops the inference workers, if any were started. */
  async close(): Promise<void> {
    await this.runtime?.close();
    this.runtime = undefined;
  }
}
