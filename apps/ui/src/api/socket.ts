import { io } from 'socket.io-client';
import type { SocketLike } from './run-channel';
import { accessToken } from './http';

/**
 * The socket.io connection to the server this page came from. socket.io
 * reconnects by itself (with backoff); the RunChannel re-subscribes and
 * catches up on every reconnect.
 */
export function connectSocket(): SocketLike {
  const token = accessToken();
  const socket = io({
    path: '/socket.io',
    transports: ['websocket', 'polling'],
    reconnectionDelay: 250,
    reconnectionDelayMax: 3000,
    ...(token ? { auth: { token }, query: { token } } : {}),
  });
  return {
    get connected() {
      return socket.connected;
    },
    on: (event, listener) => socket.on(event, listener),
    emitWithAck: (event, payload, timeoutMs) =>
      socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<unknown>,
  };
}
