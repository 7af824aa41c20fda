/**
 * The playground's script, served as /docs/assets/docs.js (the page's Content-Security-Policy
 * allows no inline script). Plain browser JavaScript: no template literals inside, so it can
 * live in this String.raw. It builds every piece of output with textContent, never innerHTML:
 * the server's answer and the visitor's input are never interpreted as HTML.
 */
export const DOCS_SCRIPT = String.raw`
(function () {
  'use strict';
  var byId = function (id) { return document.getElementById(id); };
  // On a narrow screen the contents start folded, so the playground is on the first screen.
  var contents = byId('toc-details');
  if (contents && window.matchMedia && window.matchMedia('(max-width: 60rem)').matches) contents.open = false;
  var form = byId('playground-form');
  if (!form) return;
  var textarea = byId('playground-request');
  var submit = byId('playground-submit');
  var reset = byId('playground-reset');
  var picker = byId('playground-example');
  var result = byId('playground-result');
  var announce = byId('playground-announce');
  var keyField = byId('playground-key-field');
  var keyInput = byId('playground-key');
  var examples = JSON.parse(byId('playground-examples').textContent || '[]');

  var el = function (tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  };

  var target = function () {
    var checked = form.querySelector('input[name="target"]:checked');
    return checked ? checked.value : 'sandbox';
  };

  var syncTarget = function () {
    var useKey = target() === 'key';
    keyField.hidden = !useKey;
    submit.textContent = useKey ? 'Send with my key' : 'Send to the sandbox';
  };

  var showExample = function (id) {
    var example = examples.filter(function (candidate) { return candidate.id === id; })[0] || examples[0];
    if (example) textarea.value = JSON.stringify(example.value, null, 2);
  };

  var setResult = function (children) {
    while (result.firstChild) result.removeChild(result.firstChild);
    result.appendChild(el('h3', { id: 'playground-result-title', 'class': 'result-title' }, ['Decision']));
    children.forEach(function (child) { if (child) result.appendChild(child); });
  };

  var pretty = function (value) { return JSON.stringify(value, null, 2); };

  var field = function (list, name, value, testId) {
    list.appendChild(el('dt', {}, [name]));
    list.appendChild(el('dd', { 'data-testid': testId }, [value]));
  };

  var renderDecision = function (body) {
    var fields = el('dl', { 'class': 'fields' });
    field(fields, 'proposalId', String(body.proposalId), 'playground-proposal-id');
    field(fields, 'humanApprovalRequired', String(body.humanApprovalRequired), 'playground-human-approval');
    field(fields, 'vetoDeadline', body.vetoDeadline === null ? 'null' : String(body.vetoDeadline), 'playground-veto-deadline');
    field(fields, 'constraints', pretty(body.constraints), 'playground-constraints');
    field(fields, 'decidedAt', String(body.decidedAt), 'playground-decided-at');
    var reasons = el('ul', { 'class': 'reasons', 'data-testid': 'playground-reasons' }, (body.reasons || []).map(function (reason) {
      return el('li', {}, [String(reason)]);
    }));
    return [
      el('div', { 'class': 'decision' }, [
        el('span', { 'class': 'badge badge-' + String(body.status), 'data-testid': 'playground-status' }, [String(body.status)]),
        el('span', { 'class': 'allowed', 'data-testid': 'playground-allowed' }, ['allowed: ' + String(body.allowed)])
      ]),
      el('h4', {}, ['Reasons']),
      reasons,
      fields
    ];
  };

  var renderProblem = function (body, retryAfter) {
    var parts = [
      el('div', { 'class': 'decision' }, [
        el('span', { 'class': 'badge badge-problem', 'data-testid': 'playground-status' }, [String(body.status) + ' ' + String(body.title || 'Error')])
      ]),
      el('p', { 'data-testid': 'playground-problem-detail' }, [String(body.detail || '')])
    ];
    if (body.allowed === false) parts.push(el('p', { 'class': 'allowed', 'data-testid': 'playground-allowed' }, ['allowed: false']));
    if (retryAfter) parts.push(el('p', { 'data-testid': 'playground-retry-after' }, ['Retry after ' + retryAfter + ' s.']));
    if (Array.isArray(body.invalidParams) && body.invalidParams.length > 0) {
      parts.push(el('table', { 'data-testid': 'playground-invalid-params' }, [
        el('caption', { 'class': 'visually-hidden' }, ['Invalid fields']),
        el('thead', {}, [el('tr', {}, [el('th', { scope: 'col' }, ['Field']), el('th', { scope: 'col' }, ['Reason'])])]),
        el('tbody', {}, body.invalidParams.map(function (param) {
          return el('tr', {}, [el('th', { scope: 'row' }, [el('code', {}, [String(param.name)])]), el('td', {}, [String(param.reason)])]);
        }))
      ]));
    }
    return parts;
  };

  var curlOf = function (url, key, text) {
    var quoted = "'" + text.replace(/'/g, "'\\''") + "'";
    return 'curl -s ' + url + (key ? " \\\n  -H 'Authorization: Bearer <your API key>'" : '') + " \\\n  -H 'content-type: application/json' \\\n  -d " + quoted;
  };

  var send = function () {
    var text = textarea.value;
    try {
      JSON.parse(text);
    } catch (error) {
      setResult([el('p', { 'class': 'error-text', 'data-testid': 'playground-local-error' }, ['Not valid JSON: ' + error.message])]);
      announce.textContent = 'The request is not valid JSON.';
      textarea.focus();
      return;
    }
    var useKey = target() === 'key';
    var key = keyInput.value.trim();
    if (useKey && !key) {
      setResult([el('p', { 'class': 'error-text', 'data-testid': 'playground-local-error' }, ['Enter your API key, or send to the sandbox.'])]);
      announce.textContent = 'An API key is needed.';
      keyInput.focus();
      return;
    }
    var path = useKey ? '/api/kernel/authorize' : '/api/sandbox/authorize';
    var headers = { 'content-type': 'application/json', accept: 'application/json, application/problem+json' };
    if (useKey) headers.authorization = 'Bearer ' + key;
    submit.disabled = true;
    result.setAttribute('aria-busy', 'true');
    announce.textContent = 'Sending…';
    var started = performance.now();
    fetch(path, { method: 'POST', headers: headers, body: text, credentials: 'omit', cache: 'no-store' })
      .then(function (response) {
        return response.text().then(function (raw) {
          var milliseconds = Math.round(performance.now() - started);
          var body = null;
          try { body = JSON.parse(raw); } catch (ignored) { body = null; }
          var meta = el('p', { 'class': 'result-meta', 'data-testid': 'playground-http' }, [
            'POST ' + path + ' → HTTP ' + response.status + ' · ' + milliseconds + ' ms · ' + (useKey ? 'your tenant' : 'sandbox tenant')
          ]);
          var parts = [meta];
          if (response.ok && body && typeof body.status === 'string') {
            parts = parts.concat(renderDecision(body));
            announce.textContent = 'Decision: ' + body.status + (body.allowed ? ', allowed.' : ', not allowed.');
          } else if (body && typeof body.status === 'number') {
            parts = parts.concat(renderProblem(body, response.headers.get('retry-after')));
            announce.textContent = 'Error ' + body.status + ': ' + (body.detail || body.title || '');
          } else {
            parts.push(el('p', { 'class': 'error-text' }, ['Unexpected answer.']));
            announce.textContent = 'Unexpected answer, HTTP ' + response.status + '.';
          }
          parts.push(el('details', {}, [
            el('summary', {}, ['Response body']),
            el('pre', { 'data-testid': 'playground-response-body' }, [el('code', {}, [body === null ? raw : pretty(body)])])
          ]));
          parts.push(el('details', {}, [
            el('summary', {}, ['The same request with curl']),
            el('pre', {}, [el('code', {}, [curlOf(location.origin + path, useKey, text)])])
          ]));
          setResult(parts);
        });
      })
      .catch(function (error) {
        setResult([el('p', { 'class': 'error-text', 'data-testid': 'playground-local-error' }, ['The gateway did not answer: ' + error.message])]);
        announce.textContent = 'The gateway did not answer.';
      })
      .then(function () {
        submit.disabled = false;
        result.removeAttribute('aria-busy');
      });
  };

  form.addEventListener('submit', function (event) { event.preventDefault(); send(); });
  textarea.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); send(); }
  });
  Array.prototype.forEach.call(form.querySelectorAll('input[name="target"]'), function (radio) {
    radio.addEventListener('change', syncTarget);
  });
  picker.addEventListener('change', function () { showExample(picker.value); });
  reset.addEventListener('click', function () { showExample(picker.value); textarea.focus(); });
  syncTarget();
  form.setAttribute('data-ready', 'true');
})();
`;
