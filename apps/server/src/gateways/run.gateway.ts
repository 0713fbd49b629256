import { Inject, Logger } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import { WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { OnGatewayConnection, OnGatewayInit } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type {
  ClientAck,
  ClientAcks,
  ClientMessage,
  ClientMessageType,
  ErrorAck,
  RunEvent,
} from '@maskflow/workflow';
import { CLIENT_MESSAGES, SERVER_ERROR_EVENT, SERVER_EVENT } from '@maskflow/workflow';
import { tokenMatches } from '../common/auth.guard';
import { toErrorResponse } from '../common/error-body';
import { zodIssues } from '../common/zod-validation.pipe';
import { SERVER_CONFIG } from '../config/server.config';
import type { ServerConfig } from '../config/server.config';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { RunEventRepository } from '../repositories/run-event.repository';
import { RunEventService } from '../services/run-event.service';
import { RunService } from '../services/run.service';

export interface ServerToClientEvents {
  [SERVER_EVENT]: (event: RunEvent) => void;
  [SERVER_ERROR_EVENT]: (error: ErrorAck & { message: string }) => void;
}

/** A socket catching up on one run: stored events first, live ones wait in the buffer. */
interface CatchUp {
  socket: MaskflowSocket;
  lastSeq: number;
  buffer: RunEvent[];
  /** Replay done, but it read events not yet emitted live: wait for the live stream to pass lastSeq. */
  ready: boolean;
}
/** Nothing per socket yet; typed so socket.data stays checked. */
type SocketData = Record<string, never>;
type MaskflowSocket = Socket<Record<string, never>, ServerToClientEvents, Record<string, never>, SocketData>;
type MaskflowServer = Server<Record<string, never>, ServerToClientEvents, Record<string, never>, SocketData>;

/** A handler answers with the acknowledgement, and may have work to do after the client has it (a replay). */
type Handler<K extends ClientMessageType> = (
  socket: MaskflowSocket,
  msg: ClientMessage<K>,
) => Promise<{ ack: ClientAcks[K]; after?: () => Promise<void> }>;

const room = (runId: string) => `run:${runId}`;

/**
 * socket.io on the HTTP port, path /socket.io. Every incoming message is
 * validated with its zod schema from @maskflow/workflow's protocol and
 * answered through its acknowledgement; a bad one gets `{ error }`, never a crash.
 */
@WebSocketGateway({ path: '/socket.io', serveClient: false })
export class RunGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  @WebSocketServer() server!: MaskflowServer;
  private readonly log = new Logger('RunGateway');
  private unsubscribeBus?: () => void;
  /** Sockets replaying a run's history, by run id; they join the run's room once caught up. */
  private readonly catchingUp = new Map<string, Set<CatchUp>>();

  private readonly handlers: { [K in ClientMessageType]: Handler<K> } = {
    subscribe: (socket, msg) => this.subscribe(socket, msg.runId, msg.afterSeq),
    unsubscribe: async (socket, msg) => {
      this.stopCatchUp(socket, msg.runId);
      await socket.leave(room(msg.runId));
      return { ack: { ok: true as const, runId: msg.runId } };
    },
    'run.submit': async (socket, msg) => {
      const { subscribe, ...body } = msg;
      const run = await this.runs.submit(body);
      const after = subscribe ? async () => (await this.subscribe(socket, run.id, 0)).after() : undefined;
      return { ack: { runId: run.id, status: run.status }, after };
    },
    'run.cancel': async (_socket, msg) => {
      const run = await this.runs.cancel(msg.runId);
      return { ack: { ok: true as const, runId: run.id, status: run.status } };
    },
  };

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(RunService) private readonly runs: RunService,
    @Inject(RunEventRepository) private readonly runEvents: RunEventRepository,
    @Inject(EventBusRepository) private readonly bus: EventBusRepository,
    @Inject(RunEventService) private readonly eventStream: RunEventService,
  ) {}

  afterInit(server: MaskflowServer): void {
    // The typed map already demands a handler per message; this also catches a schema added at run time.
    const missing = Object.keys(CLIENT_MESSAGES).filter(
      (t) => typeof (this.handlers as Record<string, unknown>)[t] !== 'function',
    );
    if (missing.length) throw new Error(`socket messages without a handler: ${missing.join(', ')}`);
    server.use((socket, next) => {
      const token = this.config.token;
      const auth = socket.handshake.auth as { token?: unknown } | undefined;
      const given = typeof auth?.token === 'string' ? auth.token : undefined;
      if (!token || tokenMatches(token, given)) return next();
      next(
        new Error(
          given === undefined
            ? 'unauthorized: this server requires auth.token'
            : 'unauthorized: the access token is wrong',
        ),
      );
    });
    this.unsubscribeBus = this.bus.onRunEvent((e) => this.deliver(e));
  }

  onModuleDestroy(): void {
    this.unsubscribeBus?.();
  }

  handleConnection(socket: MaskflowSocket): void {
    socket.on('disconnect', () => {
      for (const runId of [...this.catchingUp.keys()]) this.stopCatchUp(socket, runId);
    });
    for (const type of Object.keys(CLIENT_MESSAGES) as ClientMessageType[]) {
      socket.on(type, (...args: unknown[]) => void this.dispatch(socket, type, args));
    }
  }

  private async dispatch<K extends ClientMessageType>(
    socket: MaskflowSocket,
    type: K,
    args: unknown[],
  ): Promise<void> {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as (r: ClientAck<K>) => void) : undefined;
    const payload = ack ? (args.length > 1 ? args[0] : {}) : args[0];
    const fail = (error: ErrorAck['error']) => {
      if (ack) ack({ error });
      else socket.emit(SERVER_ERROR_EVENT, { error, message: `${type}: ${error.message}` });
    };
    const parsed = CLIENT_MESSAGES[type].safeParse(payload);
    if (!parsed.success) {
      const issues = zodIssues(parsed.error, payload);
      const first = issues[0];
      fail({
        kind: 'user',
        code: 'invalid-message',
        message: `invalid "${type}" message: ${first?.field ? `"${first.field}": ` : ''}${first?.message ?? 'malformed'}`,
        issues,
        ...(first?.field ? { field: first.field } : {}),
        ...(first?.nodeId ? { nodeId: first.nodeId } : {}),
      });
      return;
    }
    try {
      const handler = this.handlers[type] as Handler<K>;
      const r = await handler(socket, parsed.data as ClientMessage<K>);
      ack?.(r.ack);
      await r.after?.();
    } catch (err) {
      fail(toErrorResponse(err).info);
    }
  }

  /**
   * Replays stored events after `afterSeq`, then goes live. Live events that
   * arrive during the replay wait in a buffer; seq numbers drop the overlap;
   * the socket joins the run's room in the same tick as the buffer empties, so
   * the client sees every event once, in order.
   */
  private async subscribe(
    socket: MaskflowSocket,
    runId: string,
    afterSeq: number,
  ): Promise<{ ack: ClientAcks['subscribe']; after: () => Promise<void> }> {
    const run = await this.runs.entity(runId);
    // A second subscribe replays again from its own afterSeq.
    this.stopCatchUp(socket, runId);
    await socket.leave(room(runId));
    const sub: CatchUp = { socket, lastSeq: afterSeq, buffer: [], ready: false };
    let subs = this.catchingUp.get(runId);
    if (!subs) this.catchingUp.set(runId, (subs = new Set()));
    subs.add(sub);
    const after = async () => {
      let stored: RunEvent[];
      try {
        stored = await this.runEvents.listAfter(runId, afterSeq);
      } catch (err) {
        this.stopCatchUp(socket, runId);
        socket.emit(SERVER_ERROR_EVENT, {
          error: toErrorResponse(err).info,
          message: `subscribe: replay of run ${runId} failed`,
        });
        return;
      }
      // Superseded by a newer subscribe or an unsubscribe, or gone: nothing more to do.
      if (!this.catchingUp.get(runId)?.has(sub) || !socket.connected) return;
      for (const e of [...stored, ...sub.buffer]) {
        if (e.seq <= sub.lastSeq) continue;
        sub.lastSeq = e.seq;
        socket.emit(SERVER_EVENT, e);
      }
      sub.buffer = [];
      const emitted = this.eventStream.emittedSeq(runId);
      if (emitted === undefined || emitted >= sub.lastSeq) this.goLive(sub, runId);
      else sub.ready = true;
    };
    return { ack: { ok: true, runId, status: run.status, lastSeq: run.lastSeq }, after };
  }

  /** One encoding, sent to every caught-up subscriber; those still replaying get it in their buffer. */
  private deliver(e: RunEvent): void {
    this.server.to(room(e.runId)).emit(SERVER_EVENT, e);
    for (const sub of [...(this.catchingUp.get(e.runId) ?? [])]) {
      if (!sub.ready) {
        sub.buffer.push(e);
        continue;
      }
      if (e.seq > sub.lastSeq) {
        sub.lastSeq = e.seq;
        sub.socket.emit(SERVER_EVENT, e);
      }
      if (e.seq >= sub.lastSeq) this.goLive(sub, e.runId);
    }
  }

  /** From here on the room broadcast delivers; it carries only events after sub.lastSeq. */
  private goLive(sub: CatchUp, runId: string): void {
    this.stopCatchUp(sub.socket, runId);
    void sub.socket.join(room(runId));
  }

  private stopCatchUp(socket: MaskflowSocket, runId: string): void {
    const subs = this.catchingUp.get(runId);
    if (!subs) return;
    for (const sub of subs) if (sub.socket === socket) subs.delete(sub);
    if (!subs.size) this.catchingUp.delete(runId);
  }
}
