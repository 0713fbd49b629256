import { Injectable, Logger } from '@nestjs/common';
import type { RunEvent } from '@maskflow/workflow';

export type RunEventListener = (event: RunEvent) => void;

/**
 * In-process fan-out of persisted run events to whoever delivers them (the
 * socket.io gateway). A queue on Redis would replace this for several processes.
 */
@Injectable()
export class EventBusRepository {
  private readonly listeners = new Set<RunEventListener>();
  private readonly log = new Logger('EventBus');

  onRunEvent(listener: RunEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emitRunEvent(event: RunEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.log.error(`run event listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
