import * as path from 'node:path';
import type { HttpRequest, HttpResponse, NextFn } from './http.types';

/**
 * Whether a request is a browser loading a page of the editor (a reload or a
 * link to a client-side route such as `/workflows/abc`): a GET that asks for
 * HTML, outside the API and socket.io, for a path that does not name a file.
 * A missing asset (`/assets/nope.js`) is not a page: it stays a 404.
 */
export function isEditorPageRequest(method: string, pathname: string, accept: unknown): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (/^\/(api|socket\.io)(\/|$)/i.test(pathname)) return false;
  if (path.posix.basename(pathname).includes('.')) return false;
  return typeof accept === 'string' && /\btext\/html\b|\bapplication\/xhtml\+xml\b/i.test(accept);
}

/**
 * Express middleware placed after the editor's static files: a page request
 * they did not answer gets the editor's index.html (200), which routes on the
 * client. Everything else goes on to the API's routes and their JSON 404.
 */
export function editorFallback(uiDir: string) {
  // Relative to a root: an absolute path with a dot directory in it (~/.local/...) would be refused.
  const root = path.resolve(uiDir);
  return (req: HttpRequest, res: HttpResponse, next: NextFn): void => {
    if (!isEditorPageRequest(req.method, req.path, req.headers.accept)) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Vary', 'Accept');
    res.sendFile('index.html', { root }, (err) => {
      // Gone since start-up (the UI is being rebuilt): answer as if there were no editor.
      if (err && !res.headersSent) next();
    });
  };
}
