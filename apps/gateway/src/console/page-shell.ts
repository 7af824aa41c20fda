import { applyDecorators, Header } from '@nestjs/common';
import { DOCS_STYLES } from '../docs-page/docs-styles';

/**
 * What the gateway's own pages (the transparency page, the console) have in common with the
 * docs page: the same Content-Security-Policy, header and look, and a few browser helpers.
 */

/** Only this gateway's own scripts and styles, fetches only to this gateway, no framing. */
export const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The headers of a page's HTML: under PAGE_POLICY, never sniffed, no referrer, revalidated. */
export const PageHeaders = () =>
  applyDecorators(
    Header('content-type', 'text/html; charset=utf-8'),
    Header('content-security-policy', PAGE_POLICY),
    Header('x-content-type-options', 'nosniff'),
    Header('referrer-policy', 'no-referrer'),
    Header('cache-control', 'no-cache'),
  );

/** The headers of a page's script or stylesheet. */
export const AssetHeaders = (contentType: string) =>
  applyDecorators(Header('content-type', contentType), Header('x-content-type-options', 'nosniff'), Header('cache-control', 'no-cache'));

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character]!);

const NAVIGATION = [
  { href: '/docs', label: 'API docs' },
  { href: '/transparency', label: 'Transparency' },
  { href: '/console', label: 'Console' },
] as const;

export interface PageFrame {
  title: string;
  description: string;
  /** The navigation entry of this page. */
  current: (typeof NAVIGATION)[number]['href'];
  stylesheet: string;
  script: string;
  /** Already escaped HTML. */
  body: string;
}

/** A whole page: head, the shared header with the navigation, and the body given. */
export const renderPage = (frame: PageFrame): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(frame.title)}</title>
<meta name="description" content="${escapeHtml(frame.description)}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(frame.stylesheet)}">
<script src="${escapeHtml(frame.script)}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to the content</a>
<header class="site-header">
<div class="brand"><span class="logo" aria-hidden="true">◆</span> Halm</div>
<nav class="site-nav" aria-label="Pages"><ul>${NAVIGATION.map(
  (entry) => `<li><a href="${entry.href}"${entry.href === frame.current ? ' aria-current="page"' : ''}>${escapeHtml(entry.label)}</a></li>`,
).join('')}</ul></nav>
</header>
${frame.body}
</body>
</html>
`;

/** The docs page's styles and what the other pages add: cards, status pills, tabs, dialogs. */
export const PAGE_STYLES =
  DOCS_STYLES +
  String.raw`
[hidden] { display: none !important; }
.page { max-width: 76rem; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
.page h1 { margin: 0 0 0.4rem; font-size: 2rem; }
.eyebrow { margin: 0; font-size: 0.78rem; font-weight: 700; letter-spacing: 0.08em; text-transform: uppercase; color: var(--accent); }
.lead { max-width: 52rem; }
.card { border: 1px solid var(--border); border-radius: 12px; background: #fff; padding: 1.1rem 1.25rem; }
.panel { border: 1px solid var(--border); border-radius: 12px; background: var(--panel); padding: 1.25rem 1.5rem; margin: 1.25rem 0; }
.panel > h2 { margin-top: 0; }
.pill { display: inline-flex; align-items: center; gap: 0.35rem; font: 700 0.82rem/1 var(--sans); letter-spacing: 0.02em; padding: 0.35rem 0.65rem; border-radius: 999px; border: 1px solid currentColor; white-space: nowrap; }
.pill::before { content: ""; width: 0.55rem; height: 0.55rem; border-radius: 50%; background: currentColor; }
.pill-good { color: #0d5c2a; background: #dcfce7; }
.pill-bad { color: #8f1a12; background: #fee2e2; }
.pill-warn { color: #6b3f00; background: #fef3c7; }
.pill-info { color: #3b2a8f; background: #ede9fe; }
.pill-unknown { color: #374151; background: #f3f4f6; }
.mono { font-family: var(--mono); font-size: 0.88rem; }
.hash { font-family: var(--mono); font-size: 0.82rem; overflow-wrap: anywhere; }
.hash-short { font-family: var(--mono); font-size: 0.82rem; white-space: nowrap; }
.notice { background: #fff; border-left: 4px solid var(--accent); padding: 0.6rem 0.9rem; border-radius: 0 6px 6px 0; margin: 0.75rem 0; }
.notice-bad { border-left-color: #b42318; }
.notice-warn { border-left-color: #b45309; }
.empty { color: var(--muted); font-style: italic; }
input[type="text"], input[type="number"], input[type="search"] { font: inherit; color: var(--text); background: #fff; border: 1px solid #8c959f; border-radius: 6px; padding: 0.4rem 0.55rem; }
input[type="number"] { width: 8rem; }
button.small { font-size: 0.88rem; padding: 0.45rem 0.8rem; }
button.danger { background: #b42318; border-color: #b42318; }
button.danger:hover { background: #8f1a12; }
button.good { background: #1a7f37; border-color: #1a7f37; }
button.good:hover { background: #0d5c2a; }
button:disabled { opacity: 0.55; cursor: not-allowed; }
.row { display: flex; flex-wrap: wrap; align-items: end; gap: 0.75rem; }
.row .field { margin: 0; }
.updated { color: var(--muted); font-size: 0.88rem; margin: 0.5rem 0 0; }
dialog { border: 1px solid var(--border); border-radius: 12px; padding: 1.25rem 1.5rem; max-width: 34rem; width: calc(100% - 2rem); box-shadow: 0 20px 50px rgba(15, 23, 42, 0.25); }
dialog::backdrop { background: rgba(15, 23, 42, 0.45); }
dialog h2 { margin: 0 0 0.5rem; font-size: 1.2rem; }
dialog textarea { min-height: 6rem; }
@media (max-width: 60rem) { .page { padding: 1rem; } }
`;

/**
 * Helpers the pages' scripts share, as plain browser JavaScript defining one global, `Halm`.
 * Every piece of output is built with textContent: nothing from a server or a visitor is ever
 * interpreted as HTML.
 */
export const PAGE_KIT_SCRIPT = String.raw`
var Halm = (function () {
  'use strict';
  var el = function (tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) return;
      node.setAttribute(name, value === true ? '' : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    });
    return node;
  };
  var clear = function (node) { while (node.firstChild) node.removeChild(node.firstChild); return node; };
  var replace = function (node, children) { clear(node); children.forEach(function (child) { if (child) node.appendChild(child); }); };
  var time = function (iso) {
    if (!iso) return 'never';
    var date = new Date(iso);
    return isNaN(date.getTime()) ? String(iso) : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  };
  /** "21 Nov, 17:27:47": short enough for a table cell. */
  var shortTime = function (iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? String(iso) : date.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  };
  /** "1h 02m 05s", "4m 10s", "12s": a duration in milliseconds, never negative. */
  var duration = function (milliseconds) {
    var seconds = Math.max(0, Math.floor(milliseconds / 1000));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    var two = function (value) { return (value < 10 ? '0' : '') + value; };
    if (hours > 0) return hours + 'h ' + two(minutes) + 'm ' + two(rest) + 's';
    if (minutes > 0) return minutes + 'm ' + two(rest) + 's';
    return rest + 's';
  };
  /**
   * fetch, answering { status, ok, body } with the body parsed as JSON when it is JSON; a
   * network failure answers status 0. The key, when given, goes only to this gateway.
   */
  var request = function (method, path, key, body) {
    var headers = { accept: 'application/json, application/problem+json' };
    if (key) headers.authorization = 'Bearer ' + key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' })
      .then(function (response) {
        return response.text().then(function (raw) {
          var parsed = null;
          try { parsed = raw ? JSON.parse(raw) : null; } catch (ignored) { parsed = null; }
          return { status: response.status, ok: response.ok, body: parsed, raw: raw };
        });
      })
      .catch(function (error) { return { status: 0, ok: false, body: null, raw: String(error && error.message) }; });
  };
  /** One line saying what went wrong with an answer: the problem's detail when there is one. */
  var problemText = function (answer) {
    if (answer.status === 0) return 'The gateway did not answer (' + answer.raw + ').';
    var body = answer.body || {};
    return 'HTTP ' + answer.status + ': ' + String(body.detail || body.title || 'unexpected answer');
  };
  var pill = function (kind, text, testId) { return el('span', { 'class': 'pill pill-' + kind, 'data-testid': testId }, [text]); };
  return { el: el, clear: clear, replace: replace, time: time, shortTime: shortTime, duration: duration, request: request, problemText: problemText, pill: pill };
})();
`;
