// LoadKit's plan editor: a form over the plan format (docs/plan-files.md) and a raw YAML view of the same plan.
// Plain JS, no framework, no CDN. The form edits the plan's model (its JSON form) in place, so keys the form does not
// show are kept; LoadKit.PlanFiles on the server writes the text, checks the plan and places each problem on a field.
// Mount: LoadKitPlans.mount(element, { base: '', fetch: window.fetch }).
(function () {
  'use strict';

  const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
  const PHASES = {
    constantUsers: [['users', 'users', 'n'], ['during', 'during']],
    rampUsers: [['from', 'from users', 'n'], ['to', 'to users', 'n'], ['during', 'during']],
    iterationsPerUser: [['users', 'users', 'n'], ['iterations', 'iterations each', 'n'], ['maxDuration', 'at most']],
    sharedIterations: [['users', 'users', 'n'], ['iterations', 'iterations in all', 'n'], ['maxDuration', 'at most']],
    arrivalRate: [['rate', 'rate', 'n'], ['per', 'per'], ['during', 'during'], ['preAllocatedUsers', 'pre-allocated users', 'n'], ['maxUsers', 'max users', 'n']],
    rampArrivalRate: [['from', 'from rate', 'n'], ['to', 'to rate', 'n'], ['per', 'per'], ['during', 'during'], ['preAllocatedUsers', 'pre-allocated users', 'n'], ['maxUsers', 'max users', 'n']],
  };
  const PHASE_NAMES = {
    constantUsers: 'constant users', rampUsers: 'ramp users', iterationsPerUser: 'iterations per user',
    sharedIterations: 'shared iterations', arrivalRate: 'constant arrival rate', rampArrivalRate: 'ramping arrival rate',
  };
  const CHECKS = { status: 'status is', bodyContains: 'body contains', bodyMatches: 'body matches regex', jsonPath: 'JSON path equals', bodyLength: 'body length' };
  const EXTRACTORS = { jsonPath: 'JSON path', regex: 'regex', header: 'header', xpath: 'XPath', css: 'CSS selector', value: 'fixed value' };
  const METRICS = ['p50', 'p90', 'p95', 'p99', 'p99.9', 'mean', 'max', 'failureRate', 'failureCount', 'throughput', 'droppedIterations'];
  const LIMITS = ['below', 'atMost', 'atLeast', 'above'];
  const PRUNABLE = new Set(['warmUp', 'smokeLoad', 'thresholds', 'preTasks', 'preWork', 'checks', 'extract', 'query', 'headers', 'variables', 'feeds', 'http']);

  // ---- what the form can show, field by field (anything else is kept as written and shown as such) ----
  const isObj = v => v !== null && typeof v === 'object' && !Array.isArray(v);
  const join = (p, k) => (p ? `${p}.${k}` : k);
  const sc = (v, p, o) => { if (v !== null && typeof v === 'object') o.push(p); };
  const flat = (v, p, o) => { if (!isObj(v)) o.push(p); else for (const k in v) sc(v[k], join(p, k), o); };
  const keys = spec => (v, p, o) => {
    if (!isObj(v)) { o.push(p); return; }
    for (const k in v) (spec[k] || ((x, q, out) => out.push(q)))(v[k], join(p, k), o);
  };
  const list = item => (v, p, o) => { if (!Array.isArray(v)) o.push(p); else v.forEach((x, i) => item(x, `${p}[${i}]`, o)); };
  const named = item => (v, p, o) => { if (!isObj(v)) o.push(p); else for (const k in v) item(v[k], join(p, k), o); };
  const any = () => {};
  const SPEC = {};
  SPEC.http = keys({ baseAddress: sc, version: sc, connections: sc, maxConnectionsPerServer: sc, proxy: sc });
  SPEC.request = keys({ method: sc, url: sc, query: flat, headers: flat, form: flat, json: any, body: sc, contentType: sc, timeout: sc });
  SPEC.check = (v, p, o) => {
    if (!isObj(v) || Object.keys(v).filter(k => k in CHECKS).length !== 1) { o.push(p); return; }
    keys({ status: (x, q, out) => (Array.isArray(x) ? x.forEach((y, i) => sc(y, `${q}[${i}]`, out)) : sc(x, q, out)), bodyLength: flat, bodyContains: sc, bodyMatches: sc, jsonPath: sc, equals: sc })(v, p, o);
  };
  SPEC.extractor = (v, p, o) => {
    if (!isObj(v) || Object.keys(v).filter(k => k in EXTRACTORS).length !== 1) { o.push(p); return; }
    keys({ jsonPath: sc, regex: sc, group: sc, xpath: sc, css: sc, attribute: sc, header: sc, value: sc })(v, p, o);
  };
  SPEC.think = (v, p, o) => (isObj(v) ? keys({ min: sc, max: sc })(v, p, o) : sc(v, p, o));
  SPEC.requestItem = keys({ name: sc, request: SPEC.request, checks: list(SPEC.check), extract: named(SPEC.extractor), timeout: sc });
  SPEC.step = (v, p, o) => {
    const kinds = isObj(v) ? ['request', 'think', 'feed'].filter(k => k in v) : [];
    if (kinds.length !== 1 || (kinds[0] !== 'request' && Object.keys(v).length > 1)) { o.push(p); return; }
    if (kinds[0] === 'request') SPEC.requestItem(v, p, o); else if (kinds[0] === 'think') SPEC.think(v.think, join(p, 'think'), o); else sc(v.feed, join(p, 'feed'), o);
  };
  SPEC.preItem = keys({ name: sc, request: SPEC.request, checks: list(SPEC.check), extract: named(SPEC.extractor) });
  SPEC.phase = (v, p, o) => {
    const kind = isObj(v) && Object.keys(v).length === 1 ? Object.keys(v)[0] : null;
    if (!kind || !PHASES[kind]) { o.push(p); return; }
    keys(Object.fromEntries(PHASES[kind].map(f => [f[0], sc])))(v[kind], join(p, kind), o);
  };
  SPEC.threshold = keys({ step: sc, scope: sc, metric: sc, below: sc, atMost: sc, atLeast: sc, above: sc, abortOnFail: sc, includingWarmUp: sc });
  SPEC.task = keys({ name: sc, weight: sc, preWork: list(SPEC.preItem), steps: list(SPEC.step) });
  SPEC.scenario = keys({
    name: sc, http: SPEC.http, variables: flat, stepTimeout: sc, gracefulStop: sc, pacing: sc, preTasks: list(SPEC.preItem),
    steps: list(SPEC.step), tasks: list(SPEC.task), load: list(SPEC.phase), warmUp: list(SPEC.phase), smokeLoad: list(SPEC.phase), thresholds: list(SPEC.threshold),
  });
  SPEC.feed = keys({ csv: sc, jsonLines: sc, order: sc, seed: sc, whenExhausted: sc, prefix: sc, partitioned: sc });
  SPEC.plan = keys({ $schema: sc, variables: flat, http: SPEC.http, feeds: named(SPEC.feed), scenarios: list(SPEC.scenario) });
  const unsupported = (spec, value, path) => { const out = []; spec(value, path, out); return out; };

  // ---- small DOM helpers ----
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else if (k === 'value') e.value = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) e.append(c.nodeType ? c : String(c));
    return e;
  }
  function select(options, value, attrs) {
    const e = h('select', attrs, Object.entries(options).map(([v, label]) => h('option', { value: v }, label)));
    e.value = value;
    return e;
  }
  const asText = v => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const toValue = (s, numeric) => (numeric && /^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s.trim()) : s);
  const toOptions = arr => Object.fromEntries(arr.map(v => [v, v]));

  function mount(root, options) {
    options = options || {};
    const base = options.base || '';
    const fetcher = options.fetch || window.fetch.bind(window);
    const state = { name: null, isNew: false, model: null, text: '', mode: 'form', dirty: false, problems: [], scenarios: [], notes: [], open: new Set(), seq: 0 };
    let timer = null;

    async function call(method, url, body) {
      const response = await fetcher(base + url, {
        method, credentials: 'same-origin',
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const data = response.status === 204 ? null : await response.json().catch(() => null);
      return { status: response.status, ok: response.ok, data };
    }

    // ---- layout ----
    const listEl = h('ul', { class: 'lk-plan-list', 'data-role': 'plan-list' });
    const fileInput = h('input', { type: 'file', accept: '.har,.json', hidden: true, 'data-role': 'import-file', onchange: () => importFile(fileInput.files[0]) });
    const nameInput = h('input', { type: 'text', class: 'lk-plan-name', 'data-role': 'plan-name', 'aria-label': 'plan name', oninput: () => { state.name = nameInput.value; markDirty(); } });
    const statusEl = h('span', { class: 'lk-status', 'data-role': 'status', role: 'status' });
    const formTab = h('button', { type: 'button', class: 'lk-tab', 'data-action': 'form-view', onclick: () => showForm() }, 'Form');
    const rawTab = h('button', { type: 'button', class: 'lk-tab', 'data-action': 'raw-view', onclick: () => showRaw() }, 'YAML');
    const notesEl = h('div', { class: 'lk-notes', 'data-role': 'notes' });
    const problemsEl = h('div', { class: 'lk-problems', 'data-role': 'problems' });
    const formEl = h('div', { class: 'lk-form', 'data-role': 'form' });
    const rawEl = h('textarea', { class: 'lk-raw', 'data-role': 'raw', spellcheck: 'false', 'aria-label': 'plan text', oninput: () => { state.text = rawEl.value; markDirty(); } });
    const compiledEl = h('div', { class: 'lk-compiled', 'data-role': 'compiled' });
    const editorEl = h('section', { class: 'lk-plan-editor', hidden: true },
      h('header', { class: 'lk-editor-bar' }, nameInput, formTab, rawTab,
        h('button', { type: 'button', class: 'lk-primary', 'data-action': 'save', onclick: () => save() }, 'Save'), statusEl),
      notesEl, problemsEl, formEl, rawEl, compiledEl);
    root.classList.add('lk-plans');
    root.replaceChildren(
      h('aside', { class: 'lk-plans-side' },
        h('div', { class: 'lk-side-bar' },
          h('button', { type: 'button', 'data-action': 'new', onclick: () => newPlan() }, 'New'),
          h('button', { type: 'button', 'data-action': 'import', onclick: () => fileInput.click() }, 'Import HAR / Postman'),
          fileInput),
        listEl),
      editorEl);

    // ---- the list of plans ----
    async function refresh() {
      const r = await call('GET', '/api/plans');
      if (!r.ok) { setStatus(r.data && r.data.error || `listing plans failed (${r.status})`, true); return; }
      listEl.replaceChildren(...r.data.plans.map(p => h('li', { 'data-plan': p.name, class: p.name === state.name ? 'lk-current' : '' },
        h('button', { type: 'button', class: 'lk-link', 'data-action': 'open', onclick: () => open(p.name) }, p.name),
        h('button', { type: 'button', class: 'lk-small', title: 'rename', 'data-action': 'rename', onclick: () => rename(p.name) }, 'rename'),
        h('button', { type: 'button', class: 'lk-small', title: 'delete', 'data-action': 'delete', onclick: () => remove(p.name) }, 'delete'))));
      if (r.data.plans.length === 0) listEl.append(h('li', { class: 'lk-empty' }, 'No plans yet: New, or import a HAR file or a Postman collection.'));
    }

    const discard = () => !state.dirty || window.confirm(`Discard the changes to ${state.name || 'this plan'}?`);

    async function open(name) {
      if (!discard()) return;
      const r = await call('GET', `/api/plans/${encodeURIComponent(name)}`);
      if (!r.ok) { setStatus(r.data && r.data.error || `opening ${name} failed (${r.status})`, true); return; }
      show(r.data, { isNew: false, notes: [] });
      setStatus(`Opened ${name}.`);
    }

    function newPlan() {
      if (!discard()) return;
      const model = {
        http: { baseAddress: 'http://127.0.0.1:5000' },
        scenarios: [{ name: 'scenario', steps: [], load: [{ constantUsers: { users: 1, during: '10s' } }] }],
      };
      show({ name: uniqueName('new-plan'), text: '', model, hasComments: false, valid: false, problems: [], scenarios: [] }, { isNew: true, notes: [] });
      validateSoon(0);
      setStatus('A new plan: add requests, then Save.');
    }

    function uniqueName(stem) {
      const taken = new Set([...listEl.querySelectorAll('[data-plan]')].map(e => e.dataset.plan));
      for (let i = 1; ; i++) { const n = i === 1 ? `${stem}.yaml` : `${stem}-${i}.yaml`; if (!taken.has(n)) return n; }
    }

    async function rename(name) {
      const to = window.prompt(`Rename ${name} to:`, name);
      if (!to || to === name) return;
      const r = await call('POST', `/api/plans/${encodeURIComponent(name)}/rename`, { to });
      if (!r.ok) { setStatus(r.data && r.data.error || `renaming failed (${r.status})`, true); return; }
      if (state.name === name && !state.isNew) { state.name = to; nameInput.value = to; }
      setStatus(`Renamed ${name} to ${to}.`);
      await refresh();
    }

    async function remove(name) {
      if (!window.confirm(`Delete ${name}? The file is removed from the plans folder.`)) return;
      const r = await call('DELETE', `/api/plans/${encodeURIComponent(name)}`);
      if (!r.ok) { setStatus(r.data && r.data.error || `deleting failed (${r.status})`, true); return; }
      if (state.name === name && !state.isNew) { state.isNew = true; state.dirty = true; }
      setStatus(`Deleted ${name}.`);
      await refresh();
    }

    function importFile(file) {
      if (!file || !discard()) return;
      const reader = new FileReader();
      reader.onload = async () => {
        const r = await call('POST', '/api/plans/import', { fileName: file.name, content: reader.result });
        fileInput.value = '';
        if (!r.ok) { setStatus(r.data && r.data.error || `import failed (${r.status})`, true); return; }
        const notes = [`Imported ${r.data.steps.length} request(s) from ${file.name} (${r.data.format}). Set the load, then Save.`];
        r.data.notImported.forEach(n => notes.push('Not imported: ' + n));
        r.data.leftOut.forEach(n => notes.push('Left out: ' + n));
        // The notes the importer writes on top of the plan are shown above it, so they do not send it to the text view.
        show({ ...r.data.view, hasComments: false }, { isNew: true, notes });
        state.dirty = true;
        setStatus(`Imported ${file.name}: not saved yet.`);
      };
      reader.readAsText(file);
    }

    // ---- showing a plan ----
    function show(view, how) {
      state.name = view.name;
      state.isNew = how.isNew;
      state.model = view.model;
      state.text = view.text;
      state.dirty = false;
      state.notes = how.notes;
      nameInput.value = view.name;
      nameInput.readOnly = !how.isNew;
      nameInput.title = how.isNew ? 'the file name in the plans folder' : 'rename it from the list';
      editorEl.hidden = false;
      const hidden = view.model ? unsupported(SPEC.plan, view.model, '') : [];
      if (!view.model) {
        state.mode = 'raw';
        state.notes = state.notes.concat(['The plan cannot be read as YAML or JSON, so only its text is shown: fix it here.']);
      } else if (hidden.length > 0) {
        state.mode = 'raw';
        state.notes = state.notes.concat([`The form cannot show every part of this plan field by field (${hidden.join(', ')}), so it opens as text. The form keeps those parts as written.`]);
      } else if (view.hasComments) {
        state.mode = 'raw';
        state.notes = state.notes.concat(['This plan has comments, which the form does not keep: it opens as text. Switching to the form and saving from it writes the plan without them.']);
      } else {
        state.mode = 'form';
      }
      if (state.mode === 'form') renderForm(); else rawEl.value = state.text;
      applyView(view);
      updateMode();
      refresh();
    }

    function updateMode() {
      formTab.classList.toggle('lk-active', state.mode === 'form');
      rawTab.classList.toggle('lk-active', state.mode === 'raw');
      formEl.hidden = state.mode !== 'form';
      rawEl.hidden = state.mode !== 'raw';
      formTab.disabled = !state.model && state.mode === 'raw' && !state.text;
      notesEl.replaceChildren(...state.notes.map(n => h('p', {}, n)));
      notesEl.hidden = state.notes.length === 0;
    }

    async function showForm() {
      if (state.mode === 'form') return;
      const r = await call('POST', '/api/plans/validate', { name: state.name || 'plan.yaml', text: rawEl.value });
      if (!r.ok) { setStatus(r.data && r.data.error || `reading the text failed (${r.status})`, true); return; }
      if (!r.data.model) { applyView(r.data); setStatus('The text is not readable as a plan: fix what is shown, then switch.', true); return; }
      state.model = r.data.model;
      state.mode = 'form';
      renderForm();
      updateMode();
      applyView(r.data);
    }

    async function showRaw() {
      if (state.mode === 'raw') return;
      const r = await call('POST', '/api/plans/validate', { name: state.name || 'plan.yaml', model: state.model });
      if (!r.ok) { setStatus(r.data && r.data.error || `writing the text failed (${r.status})`, true); return; }
      state.text = r.data.text;
      rawEl.value = state.text;
      state.mode = 'raw';
      updateMode();
      applyView(r.data);
    }

    async function save() {
      if (!state.name) { setStatus('Name the plan first.', true); return; }
      clearTimeout(timer);
      const body = state.mode === 'form' ? { name: state.name, model: state.model } : { name: state.name, text: rawEl.value };
      const r = state.isNew ? await call('POST', '/api/plans', body) : await call('PUT', `/api/plans/${encodeURIComponent(state.name)}`, body);
      if (r.status === 422) {
        applyView(r.data.view);
        setStatus(`Not saved: ${r.data.problems.length} problem(s), shown at their fields.`, true);
        return;
      }
      if (!r.ok) { setStatus(r.data && r.data.error || `saving failed (${r.status})`, true); return; }
      state.isNew = false;
      state.dirty = false;
      state.text = r.data.text;
      nameInput.readOnly = true;
      applyView(r.data);
      setStatus(`Saved ${state.name}.`);
      await refresh();
    }

    // ---- checking while editing ----
    function markDirty() { state.dirty = true; validateSoon(500); }

    function validateSoon(delay) {
      clearTimeout(timer);
      timer = setTimeout(validate, delay);
    }

    async function validate() {
      const seq = ++state.seq;
      const body = state.mode === 'form' ? { name: state.name || 'plan.yaml', model: state.model } : { name: state.name || 'plan.yaml', text: rawEl.value };
      const r = await call('POST', '/api/plans/validate', body);
      if (seq !== state.seq) return;
      if (!r.ok) { setStatus(r.data && r.data.error || `checking failed (${r.status})`, true); return; }
      applyView(r.data);
    }

    function applyView(view) {
      state.problems = view.problems || [];
      state.scenarios = view.scenarios || [];
      root.querySelectorAll('.lk-invalid').forEach(e => e.classList.remove('lk-invalid'));
      root.querySelectorAll('.lk-error').forEach(e => { e.textContent = ''; });
      const unplaced = [];
      for (const p of state.problems) {
        const target = state.mode === 'form' ? place(p.field || p.path) : null;
        if (target) {
          target.classList.add('lk-invalid');
          const slot = target.querySelector(':scope > .lk-error');
          slot.textContent = slot.textContent ? `${slot.textContent}; ${p.message}` : p.message;
          for (let d = target.parentElement; d && d !== root; d = d.parentElement) if (d.tagName === 'DETAILS') d.open = true;
        } else {
          unplaced.push(p);
        }
      }
      problemsEl.replaceChildren(...(state.problems.length === 0 ? [] : [
        h('p', {}, `${state.problems.length} problem(s): the plan is not saved until they are fixed.`),
        h('ul', {}, state.problems.map(p => h('li', { 'data-problem': p.field || p.path },
          (p.line ? `line ${p.line}: ` : '') + (p.path ? `${p.path}: ` : '') + p.message,
          unplaced.includes(p) || state.mode !== 'form' ? '' : h('button', { type: 'button', class: 'lk-link', onclick: () => focusField(p.field || p.path) }, ' show')))),
      ]));
      problemsEl.hidden = state.problems.length === 0;
      compiledEl.replaceChildren(...(state.scenarios.length === 0 ? [] : [h('h4', {}, 'Runs as'), ...state.scenarios.map(s => h('div', { class: 'lk-summary', 'data-scenario': s.name },
        h('strong', {}, s.name), ': ', s.steps.join(' → '),
        h('div', {}, 'load: ', s.load.join(', ')),
        s.thresholds.length ? h('div', {}, 'thresholds: ', s.thresholds.join('; ')) : ''))]));
    }

    /** The element of the form that shows a plan path, or of the nearest enclosing path that it shows. */
    function place(path) {
      for (let p = path; p; p = p.replace(/(\.[^.[\]]+|\[\d+\])$/, '')) {
        const e = formEl.querySelector(`[data-path="${CSS.escape(p)}"]`);
        if (e && e.querySelector(':scope > .lk-error')) return e;
        if (!/(\.[^.[\]]+|\[\d+\])$/.test(p)) break;
      }
      return null;
    }

    function focusField(path) {
      const e = place(path);
      if (!e) return;
      e.scrollIntoView({ block: 'center' });
      const input = e.querySelector('input,select,textarea');
      if (input) input.focus();
    }

    function setStatus(text, bad) {
      statusEl.textContent = text;
      statusEl.classList.toggle('lk-bad', !!bad);
    }

    // ---- the form ----
    function changed() { markDirty(); }

    /** Optional lists and mappings left empty by a removal go, as a plan written by hand would not have them. */
    function prune(node) {
      if (Array.isArray(node)) { node.forEach(prune); return; }
      if (!isObj(node)) return;
      for (const k of Object.keys(node)) {
        if (k === 'json') continue;
        prune(node[k]);
        const v = node[k];
        if (PRUNABLE.has(k) && ((Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0))) delete node[k];
      }
    }

    function rerender() {
      prune(state.model);
      // The sections open now stay open: read from the page, since a 'toggle' event comes a task after its click and
      // may not have come yet when an edit re-renders the form.
      formEl.querySelectorAll('details[data-section]').forEach(d => (d.open ? state.open.add(d.dataset.section) : state.open.delete(d.dataset.section)));
      const y = window.scrollY;
      renderForm();
      window.scrollTo(0, y);
      validateSoon(200);
      state.dirty = true;
    }

    function renderForm() {
      const m = state.model;
      const hidden = unsupported(SPEC.plan, m, '');
      formEl.replaceChildren(
        hidden.length ? h('p', { class: 'lk-kept' }, `Kept as written (not shown here; see the YAML view): ${hidden.join(', ')}`) : '',
        section('Plan', '', [
          httpFields(m, 'http', 'http', 'base address of relative URLs, e.g. http://127.0.0.1:5000'),
          details('variables', 'Variables', Object.keys(m.variables || {}).length, () => kvTable(m, 'variables', 'variables', 'variable', 'value')),
          details('feeds', 'Data feeds', Object.keys(m.feeds || {}).length, () => feedTable(m)),
        ]),
        ...(Array.isArray(m.scenarios) ? m.scenarios : []).map((s, i) => scenarioCard(s, i)),
        h('button', { type: 'button', 'data-add': 'scenario', onclick: () => { (m.scenarios = m.scenarios || []).push({ name: `scenario-${m.scenarios.length + 1}`, steps: [], load: [{ constantUsers: { users: 1, during: '10s' } }] }); rerender(); } }, '+ Scenario'));
    }

    function section(title, path, children) {
      return h('div', { class: 'lk-section', 'data-path': path || null }, h('h3', {}, title), children, h('div', { class: 'lk-error' }));
    }

    function details(key, title, count, build) {
      const d = h('details', { 'data-section': key, ontoggle: () => (d.open ? state.open.add(key) : state.open.delete(key)) },
        h('summary', {}, title, count ? h('span', { class: 'lk-count' }, ` (${count})`) : ''), build());
      d.open = state.open.has(key);
      return d;
    }

    function field(label, path, input, extra) {
      return h('label', { class: 'lk-field', 'data-path': path }, h('span', { class: 'lk-label' }, label), input, extra || '', h('span', { class: 'lk-error' }));
    }

    /** A text input bound to obj[key]; empty removes the key. */
    function text(obj, key, path, label, opts) {
      opts = opts || {};
      const input = h('input', { type: 'text', value: asText(obj[key]), placeholder: opts.placeholder, list: opts.list, 'aria-label': label, class: opts.wide ? 'lk-wide' : null });
      input.addEventListener('input', () => {
        if (input.value === '' && !opts.keep) delete obj[key]; else obj[key] = toValue(input.value, opts.number);
        if (opts.after) opts.after(); else changed();
      });
      return field(label, path, input);
    }

    function choice(obj, key, path, label, options, fallback, after) {
      const e = select(options, asText(obj[key]) || fallback, { 'aria-label': label });
      e.addEventListener('change', () => { if (e.value === '') delete obj[key]; else obj[key] = e.value; if (after) after(); else changed(); });
      return field(label, path, e);
    }

    function buttons(arr, i, path) {
      const move = d => { const j = i + d; if (j < 0 || j >= arr.length) return; [arr[i], arr[j]] = [arr[j], arr[i]]; rerender(); };
      return h('span', { class: 'lk-item-buttons' },
        h('button', { type: 'button', class: 'lk-small', title: 'move up', onclick: () => move(-1) }, '↑'),
        h('button', { type: 'button', class: 'lk-small', title: 'move down', onclick: () => move(1) }, '↓'),
        h('button', { type: 'button', class: 'lk-small', title: 'remove', 'data-remove': path, onclick: () => { arr.splice(i, 1); rerender(); } }, '✕'));
    }

    function asIs(value, path, why) {
      return h('div', { class: 'lk-asis', 'data-path': path }, h('span', { class: 'lk-label' }, why || 'shown as written; edit it in the YAML view'),
        h('pre', {}, JSON.stringify(value, null, 2)), h('div', { class: 'lk-error' }));
    }

    function httpFields(owner, key, path, hint) {
      const http = owner[key] || {};
      const commit = () => { if (Object.keys(http).length) owner[key] = http; else delete owner[key]; changed(); };
      return h('div', { class: 'lk-row', 'data-path': path },
        text(http, 'baseAddress', `${path}.baseAddress`, 'base address', { placeholder: hint, wide: true, after: commit }),
        choice(http, 'version', `${path}.version`, 'HTTP version', { '': 'default (1.1)', '1.1': '1.1', 2: '2' }, '', commit),
        choice(http, 'connections', `${path}.connections`, 'connections', { '': 'default (per user)', perUser: 'per user', shared: 'shared' }, '', commit),
        text(http, 'maxConnectionsPerServer', `${path}.maxConnectionsPerServer`, 'max connections', { number: true, after: commit }),
        text(http, 'proxy', `${path}.proxy`, 'proxy', { placeholder: 'http://127.0.0.1:3128', after: commit }),
        h('div', { class: 'lk-error' }));
    }

    /** A mapping of names to texts (headers, query, form, variables): rows of name and value. */
    function kvTable(parent, key, path, nameLabel, valueLabel) {
      const rows = Object.entries(parent[key] || {}).map(([k, v]) => ({ k, v }));
      const wrap = h('div', { class: 'lk-kv', 'data-path': path });
      const sync = () => {
        const o = {};
        for (const r of rows) if (r.k !== '') o[r.k] = r.v;
        if (Object.keys(o).length) parent[key] = o; else delete parent[key];
        changed();
      };
      const row = r => {
        const e = h('div', { class: 'lk-kv-row lk-row', 'data-path': `${path}.${r.k}` });
        const name = h('input', { type: 'text', value: r.k, placeholder: nameLabel, 'aria-label': `${nameLabel} name`, 'data-role': 'kv-name',
          oninput: () => { r.k = name.value; e.dataset.path = `${path}.${r.k}`; sync(); } });
        const value = h('input', { type: 'text', value: asText(r.v), placeholder: valueLabel, 'aria-label': `${nameLabel} value`, 'data-role': 'kv-value', class: 'lk-wide',
          oninput: () => { r.v = value.value; sync(); } });
        e.append(name, value, h('button', { type: 'button', class: 'lk-small', title: 'remove', onclick: () => { rows.splice(rows.indexOf(r), 1); e.remove(); sync(); } }, '✕'), h('div', { class: 'lk-error' }));
        return e;
      };
      const body = h('div', {}, rows.map(row));
      wrap.append(body, h('button', { type: 'button', class: 'lk-add', 'data-add': nameLabel, onclick: () => { const r = { k: '', v: '' }; rows.push(r); const e = row(r); body.append(e); e.querySelector('input').focus(); } }, `+ ${nameLabel}`), h('div', { class: 'lk-error' }));
      return wrap;
    }

    function feedTable(plan) {
      const feeds = plan.feeds || {};
      const wrap = h('div', { class: 'lk-feeds', 'data-path': 'feeds' });
      const names = Object.keys(feeds);
      const rebuild = (old, now) => {
        const o = {};
        for (const n of Object.keys(feeds)) o[n === old ? now : n] = feeds[n];
        for (const n of Object.keys(feeds)) delete feeds[n];
        Object.assign(feeds, o);
      };
      for (const name of names) {
        const f = feeds[name];
        let current = name;
        const kind = 'jsonLines' in f ? 'jsonLines' : 'csv';
        const p = `feeds.${name}`;
        const nameInput = h('input', { type: 'text', value: name, 'aria-label': 'feed name', oninput: () => { rebuild(current, nameInput.value); current = nameInput.value; changed(); } });
        const kindSelect = select({ csv: 'CSV file', jsonLines: 'JSON lines file' }, kind, { 'aria-label': 'feed format' });
        kindSelect.addEventListener('change', () => { const other = kindSelect.value === 'csv' ? 'jsonLines' : 'csv'; f[kindSelect.value] = f[other] || ''; delete f[other]; rerender(); });
        wrap.append(h('div', { class: 'lk-row lk-card', 'data-path': p },
          field('name', p, nameInput), field('format', p, kindSelect),
          text(f, kind, `${p}.${kind}`, 'file', { placeholder: 'users.csv (beside the plan)', keep: true }),
          choice(f, 'order', `${p}.order`, 'order', { '': 'circular', random: 'random', unique: 'unique' }, ''),
          text(f, 'seed', `${p}.seed`, 'seed', { number: true }),
          choice(f, 'whenExhausted', `${p}.whenExhausted`, 'when exhausted', { '': 'stop scenario', wrap: 'wrap' }, ''),
          text(f, 'prefix', `${p}.prefix`, 'prefix'),
          h('button', { type: 'button', class: 'lk-small', title: 'remove', onclick: () => { delete feeds[current]; if (!Object.keys(feeds).length) delete plan.feeds; rerender(); } }, '✕'),
          h('div', { class: 'lk-error' })));
      }
      wrap.append(h('button', { type: 'button', class: 'lk-add', 'data-add': 'feed', onclick: () => { plan.feeds = feeds; let n = 'users'; for (let i = 2; n in feeds; i++) n = `users${i}`; feeds[n] = { csv: `${n}.csv` }; rerender(); } }, '+ feed'), h('div', { class: 'lk-error' }));
      return wrap;
    }

    function scenarioCard(s, i) {
      const p = `scenarios[${i}]`;
      if (!isObj(s)) return asIs(s, p);
      const mode = 'tasks' in s ? 'tasks' : 'steps';
      const modeSelect = select({ steps: 'steps, in order', tasks: 'weighted tasks' }, mode, { 'aria-label': 'scenario runs', 'data-role': 'scenario-mode' });
      modeSelect.addEventListener('change', () => {
        if (modeSelect.value === 'tasks') { s.tasks = [{ name: 'task', weight: 1, steps: s.steps || [] }]; delete s.steps; } else {
          const tasks = s.tasks || [];
          if (tasks.length > 1 || (tasks[0] && tasks[0].preWork && tasks[0].preWork.length)) { modeSelect.value = 'tasks'; setStatus('Only one task without pre-work becomes a list of steps: remove the others first.', true); return; }
          s.steps = tasks[0] ? tasks[0].steps || [] : []; delete s.tasks;
        }
        rerender();
      });
      return h('div', { class: 'lk-section lk-scenario', 'data-path': p },
        h('div', { class: 'lk-row' },
          h('h3', {}, 'Scenario'), text(s, 'name', `${p}.name`, 'name', { keep: true }),
          field('runs', `${p}.${mode}`, modeSelect),
          h('button', { type: 'button', class: 'lk-small', title: 'remove the scenario', onclick: () => { state.model.scenarios.splice(i, 1); rerender(); } }, '✕ scenario')),
        details(`${p}.settings`, 'Settings', ['stepTimeout', 'gracefulStop', 'pacing', 'http', 'variables'].filter(k => k in s).length, () => h('div', {},
          h('div', { class: 'lk-row' },
            text(s, 'stepTimeout', `${p}.stepTimeout`, 'step timeout', { placeholder: '60s' }),
            text(s, 'gracefulStop', `${p}.gracefulStop`, 'graceful stop', { placeholder: '30s' }),
            text(s, 'pacing', `${p}.pacing`, 'pacing', { placeholder: 'none' })),
          httpFields(s, 'http', `${p}.http`, "the plan's"),
          kvTable(s, 'variables', `${p}.variables`, 'variable', 'value'))),
        details(`${p}.preTasks`, 'Pre-tasks (once per user, before its first iteration)', (s.preTasks || []).length, () => requestList(s, 'preTasks', `${p}.preTasks`, false)),
        mode === 'steps'
          ? h('div', { class: 'lk-block' }, h('h4', {}, 'Steps'), stepList(s, 'steps', `${p}.steps`))
          : h('div', { class: 'lk-block' }, h('h4', {}, 'Tasks'), taskList(s, `${p}.tasks`)),
        h('div', { class: 'lk-block' }, h('h4', {}, 'Load'), phaseList(s, 'load', `${p}.load`)),
        details(`${p}.warmUp`, 'Warm-up (before the load, kept out of gates)', (s.warmUp || []).length, () => phaseList(s, 'warmUp', `${p}.warmUp`)),
        details(`${p}.smokeLoad`, 'Smoke load (the smoke profile)', (s.smokeLoad || []).length, () => phaseList(s, 'smokeLoad', `${p}.smokeLoad`)),
        h('div', { class: 'lk-block' }, h('h4', {}, 'Thresholds'), thresholdList(s, `${p}.thresholds`)),
        h('div', { class: 'lk-error' }));
    }

    function taskList(s, path) {
      const tasks = s.tasks = Array.isArray(s.tasks) ? s.tasks : [];
      return h('div', { 'data-path': path }, tasks.map((t, i) => {
        const p = `${path}[${i}]`;
        if (unsupported(SPEC.task, t, p).length) return asIs(t, p);
        return h('div', { class: 'lk-card lk-task', 'data-path': p },
          h('div', { class: 'lk-row' }, h('strong', {}, 'Task'), text(t, 'name', `${p}.name`, 'name', { keep: true }), text(t, 'weight', `${p}.weight`, 'weight', { number: true, placeholder: '1' }), buttons(tasks, i, p)),
          details(`${p}.preWork`, 'Pre-work (once per user, the first time it picks the task)', (t.preWork || []).length, () => requestList(t, 'preWork', `${p}.preWork`, false)),
          stepList(t, 'steps', `${p}.steps`), h('div', { class: 'lk-error' }));
      }), h('button', { type: 'button', class: 'lk-add', 'data-add': 'task', onclick: () => { tasks.push({ name: `task-${tasks.length + 1}`, weight: 1, steps: [] }); rerender(); } }, '+ task'), h('div', { class: 'lk-error' }));
    }

    function stepList(owner, key, path) {
      const steps = owner[key] = Array.isArray(owner[key]) ? owner[key] : [];
      const add = item => { steps.push(item); rerender(); };
      return h('div', { class: 'lk-steps', 'data-path': path },
        steps.map((st, i) => stepItem(steps, i, `${path}[${i}]`, true)),
        h('div', { class: 'lk-row' },
          h('button', { type: 'button', class: 'lk-add', 'data-add': 'request', onclick: () => add({ request: { method: 'GET', url: '/' } }) }, '+ request'),
          h('button', { type: 'button', class: 'lk-add', 'data-add': 'think', onclick: () => add({ think: '1s' }) }, '+ think time'),
          h('button', { type: 'button', class: 'lk-add', 'data-add': 'feed-read', onclick: () => add({ feed: Object.keys(state.model.feeds || {})[0] || 'users' }) }, '+ feed read')),
        h('div', { class: 'lk-error' }));
    }

    function requestList(owner, key, path) {
      const items = Array.isArray(owner[key]) ? owner[key] : [];
      return h('div', { class: 'lk-steps', 'data-path': path },
        items.map((it, i) => stepItem(items, i, `${path}[${i}]`, false)),
        h('button', { type: 'button', class: 'lk-add', 'data-add': 'request', onclick: () => { owner[key] = items; items.push({ request: { method: 'GET', url: '/' } }); rerender(); } }, '+ request'),
        h('div', { class: 'lk-error' }));
    }

    function stepItem(arr, i, p, inChain) {
      const st = arr[i];
      if (unsupported(inChain ? SPEC.step : SPEC.preItem, st, p).length) return h('div', { class: 'lk-card' }, asIs(st, p), buttons(arr, i, p));
      if ('think' in st) {
        const t = isObj(st.think) ? st.think : { min: st.think };
        const commit = () => { st.think = t.max === undefined ? (t.min === undefined ? '' : t.min) : { min: t.min, max: t.max }; changed(); };
        return h('div', { class: 'lk-card lk-think lk-row', 'data-path': p }, h('strong', {}, 'Think time'),
          text(t, 'min', isObj(st.think) ? `${p}.think.min` : `${p}.think`, isObj(st.think) ? 'from' : 'pause', { placeholder: '1s', after: commit }),
          text(t, 'max', `${p}.think.max`, 'to (uniform; empty: fixed)', { placeholder: '', after: commit }),
          buttons(arr, i, p), h('div', { class: 'lk-error' }));
      }
      if ('feed' in st) {
        return h('div', { class: 'lk-card lk-feed-read lk-row', 'data-path': p }, h('strong', {}, 'Read the next record of feed'),
          text(st, 'feed', `${p}.feed`, 'feed', { keep: true, list: 'lk-feed-names' }),
          h('datalist', { id: 'lk-feed-names' }, Object.keys(state.model.feeds || {}).map(n => h('option', { value: n }))),
          buttons(arr, i, p), h('div', { class: 'lk-error' }));
      }
      return requestCard(arr, i, p, inChain);
    }

    function requestCard(arr, i, p, inChain) {
      const st = arr[i];
      const rq = st.request = isObj(st.request) ? st.request : { url: '' };
      const rp = `${p}.request`;
      const method = select(toOptions(METHODS), (rq.method || 'GET').toUpperCase(), { 'aria-label': 'method', 'data-role': 'method' });
      method.addEventListener('change', () => { rq.method = method.value; changed(); });
      const url = h('input', { type: 'text', value: asText(rq.url), placeholder: '/path, or http://host/path', 'aria-label': 'URL', 'data-role': 'url', class: 'lk-url' });
      url.addEventListener('input', () => { rq.url = url.value; changed(); });
      const count = o => Object.keys(o || {}).length;
      return h('div', { class: 'lk-card lk-request', 'data-path': p },
        h('div', { class: 'lk-row lk-request-line' },
          field('method', `${rp}.method`, method), field('URL', `${rp}.url`, url),
          text(st, 'name', `${p}.name`, 'step name', { placeholder: `${rq.method || 'GET'} ${rq.url || ''}` }),
          buttons(arr, i, p)),
        details(`${p}.query`, 'Params', count(rq.query), () => kvTable(rq, 'query', `${rp}.query`, 'param', 'value')),
        details(`${p}.headers`, 'Headers', count(rq.headers), () => kvTable(rq, 'headers', `${rp}.headers`, 'header', 'value')),
        details(`${p}.body`, 'Body', ['json', 'form', 'body'].filter(k => k in rq).length, () => bodyEditor(rq, rp)),
        details(`${p}.checks`, 'Checks', (st.checks || []).length, () => checkList(st, `${p}.checks`)),
        details(`${p}.extract`, 'Extract into variables', count(st.extract), () => extractTable(st, `${p}.extract`)),
        details(`${p}.options`, 'Timeouts', ['timeout'].filter(k => k in st || k in rq).length, () => h('div', { class: 'lk-row' },
          inChain ? text(st, 'timeout', `${p}.timeout`, 'step timeout', { placeholder: "the scenario's" }) : '',
          text(rq, 'timeout', `${rp}.timeout`, 'request timeout', { placeholder: 'none' }))),
        h('div', { class: 'lk-error' }));
    }

    function bodyEditor(rq, rp) {
      const kind = 'json' in rq ? 'json' : 'form' in rq ? 'form' : 'body' in rq ? 'body' : '';
      const kindSelect = select({ '': 'none', json: 'JSON', form: 'form (URL-encoded)', body: 'text' }, kind, { 'aria-label': 'body kind', 'data-role': 'body-kind' });
      kindSelect.addEventListener('change', () => {
        const old = kind === 'json' ? (typeof rq.json === 'string' ? rq.json : JSON.stringify(rq.json, null, 2)) : kind === 'body' ? rq.body : '';
        delete rq.json; delete rq.form; delete rq.body; delete rq.contentType;
        if (kindSelect.value === 'json') rq.json = old || {};
        if (kindSelect.value === 'body') rq.body = old || '';
        if (kindSelect.value === 'form') rq.form = {};
        rerender();
      });
      const wrap = h('div', { class: 'lk-body' }, field('body', rp, kindSelect));
      if (kind === 'json') {
        const area = h('textarea', { rows: 5, spellcheck: 'false', 'aria-label': 'JSON body', 'data-role': 'json-body' });
        area.value = typeof rq.json === 'string' ? rq.json : JSON.stringify(rq.json, null, 2);
        area.addEventListener('input', () => {
          // A structure when it parses as one; otherwise a text with {{placeholders}}, sent as it is.
          let value = area.value;
          try { const parsed = JSON.parse(area.value); if (parsed !== null && typeof parsed === 'object') value = parsed; } catch { /* a template */ }
          rq.json = value;
          changed();
        });
        wrap.append(field('JSON ({{name}} fills in a variable)', `${rp}.json`, area));
      } else if (kind === 'form') {
        wrap.append(kvTable(rq, 'form', `${rp}.form`, 'field', 'value'));
      } else if (kind === 'body') {
        const area = h('textarea', { rows: 5, spellcheck: 'false', 'aria-label': 'text body' });
        area.value = asText(rq.body);
        area.addEventListener('input', () => { rq.body = area.value; changed(); });
        wrap.append(field('text', `${rp}.body`, area), text(rq, 'contentType', `${rp}.contentType`, 'content type', { placeholder: 'text/plain; charset=utf-8' }));
      }
      return wrap;
    }

    function checkList(st, path) {
      const checks = Array.isArray(st.checks) ? st.checks : [];
      const commit = () => { if (checks.length) st.checks = checks; else delete st.checks; };
      const wrap = h('div', { class: 'lk-checks', 'data-path': path });
      checks.forEach((c, i) => {
        const p = `${path}[${i}]`;
        const kind = Object.keys(c).find(k => k in CHECKS);
        const kindSelect = select(CHECKS, kind, { 'aria-label': 'check', 'data-role': 'check-kind' });
        kindSelect.addEventListener('change', () => { checks[i] = { [kindSelect.value]: kindSelect.value === 'status' ? 200 : kindSelect.value === 'bodyLength' ? { greaterThan: 0 } : '' }; if (kindSelect.value === 'jsonPath') checks[i].equals = ''; rerender(); });
        const row = h('div', { class: 'lk-row lk-check', 'data-path': p }, field('check', p, kindSelect));
        if (kind === 'status') {
          const input = h('input', { type: 'text', value: Array.isArray(c.status) ? c.status.join(', ') : asText(c.status), 'aria-label': 'status codes', placeholder: '200, or 200, 404' });
          input.addEventListener('input', () => {
            const codes = input.value.split(',').map(x => x.trim()).filter(x => x !== '').map(x => toValue(x, true));
            c.status = codes.length === 1 ? codes[0] : codes;
            changed();
          });
          row.append(field('status', `${p}.status`, input));
        } else if (kind === 'jsonPath') {
          row.append(text(c, 'jsonPath', `${p}.jsonPath`, 'JSON path', { keep: true, placeholder: '$.order.state' }), text(c, 'equals', `${p}.equals`, 'equals', { keep: true }));
        } else if (kind === 'bodyLength') {
          const b = c.bodyLength = isObj(c.bodyLength) ? c.bodyLength : {};
          row.append(text(b, 'lessThan', `${p}.bodyLength.lessThan`, 'less than', { number: true }), text(b, 'equals', `${p}.bodyLength.equals`, 'equals', { number: true }), text(b, 'greaterThan', `${p}.bodyLength.greaterThan`, 'greater than', { number: true }));
        } else {
          row.append(text(c, kind, `${p}.${kind}`, CHECKS[kind], { keep: true, wide: true }));
        }
        row.append(buttons(checks, i, p), h('div', { class: 'lk-error' }));
        wrap.append(row);
      });
      wrap.append(h('button', { type: 'button', class: 'lk-add', 'data-add': 'check', onclick: () => { checks.push({ status: 200 }); commit(); rerender(); } }, '+ check'), h('div', { class: 'lk-error' }));
      return wrap;
    }

    function extractTable(st, path) {
      const rows = Object.entries(isObj(st.extract) ? st.extract : {}).map(([name, spec]) => ({ name, spec }));
      const sync = () => {
        const o = {};
        for (const r of rows) if (r.name !== '') o[r.name] = r.spec;
        if (Object.keys(o).length) st.extract = o; else delete st.extract;
        changed();
      };
      const wrap = h('div', { class: 'lk-extract', 'data-path': path });
      rows.forEach(r => {
        const p = `${path}.${r.name}`;
        const kind = Object.keys(r.spec).find(k => k in EXTRACTORS);
        const row = h('div', { class: 'lk-row lk-extractor', 'data-path': p });
        const name = h('input', { type: 'text', value: r.name, 'aria-label': 'variable', 'data-role': 'extract-name', placeholder: 'variable' });
        name.addEventListener('input', () => { r.name = name.value; row.dataset.path = `${path}.${r.name}`; sync(); });
        const kindSelect = select(EXTRACTORS, kind, { 'aria-label': 'from', 'data-role': 'extract-kind' });
        kindSelect.addEventListener('change', () => { const expr = r.spec[kind]; r.spec = { [kindSelect.value]: expr === undefined ? '' : expr }; sync(); rerender(); });
        row.append(field('variable', p, name), field('from', p, kindSelect),
          text(r.spec, kind, `${p}.${kind}`, kind === 'value' ? 'value' : 'expression', { keep: true, wide: true, placeholder: { jsonPath: '$.token', regex: 'id=(\\d+)', header: 'Location', xpath: '//input/@value', css: 'a.next', value: '' }[kind], after: sync }));
        if (kind === 'regex') row.append(text(r.spec, 'group', `${p}.group`, 'group', { number: true, placeholder: '1', after: sync }));
        if (kind === 'css') row.append(text(r.spec, 'attribute', `${p}.attribute`, 'attribute', { placeholder: 'its text', after: sync }));
        row.append(h('button', { type: 'button', class: 'lk-small', title: 'remove', onclick: () => { rows.splice(rows.indexOf(r), 1); sync(); rerender(); } }, '✕'), h('div', { class: 'lk-error' }));
        wrap.append(row);
      });
      wrap.append(h('button', { type: 'button', class: 'lk-add', 'data-add': 'extraction', onclick: () => {
        let n = 'value'; for (let i = 2; rows.some(r => r.name === n); i++) n = `value${i}`;
        rows.push({ name: n, spec: { jsonPath: '$.' } }); sync(); rerender();
      } }, '+ extraction'), h('div', { class: 'lk-error' }));
      return wrap;
    }

    function phaseList(s, key, path) {
      const phases = Array.isArray(s[key]) ? s[key] : [];
      const commit = () => { if (phases.length || key === 'load') s[key] = phases; else delete s[key]; };
      const wrap = h('div', { class: 'lk-phases', 'data-path': path });
      phases.forEach((ph, i) => {
        const p = `${path}[${i}]`;
        if (unsupported(SPEC.phase, ph, p).length) { wrap.append(h('div', { class: 'lk-card' }, asIs(ph, p), buttons(phases, i, p))); return; }
        const kind = Object.keys(ph)[0];
        const values = ph[kind] = isObj(ph[kind]) ? ph[kind] : {};
        const kindSelect = select(PHASE_NAMES, kind, { 'aria-label': 'phase', 'data-role': 'phase-kind' });
        kindSelect.addEventListener('change', () => {
          const next = {};
          for (const [f] of PHASES[kindSelect.value]) if (f in values) next[f] = values[f];
          if (kindSelect.value.endsWith('rrivalRate') && !kind.endsWith('rrivalRate')) { if ('users' in values) next.maxUsers = values.users; }
          phases[i] = { [kindSelect.value]: next };
          rerender();
        });
        const row = h('div', { class: 'lk-row lk-phase', 'data-path': `${p}.${kind}` }, field('phase', p, kindSelect));
        for (const [f, label, numeric] of PHASES[kind]) {
          row.append(text(values, f, `${p}.${kind}.${f}`, label, { number: numeric === 'n', placeholder: f === 'per' ? '1s' : f === 'during' || f === 'maxDuration' ? '30s' : '' }));
        }
        row.append(buttons(phases, i, p), h('div', { class: 'lk-error' }));
        wrap.append(row);
      });
      wrap.append(h('button', { type: 'button', class: 'lk-add', 'data-add': `phase-${key}`, onclick: () => { phases.push({ constantUsers: { users: 1, during: '10s' } }); commit(); rerender(); } }, '+ phase'), h('div', { class: 'lk-error' }));
      return wrap;
    }

    function stepNames(s) {
      const names = [];
      const add = list => (list || []).forEach(st => { if (isObj(st) && isObj(st.request)) names.push(st.name || `${st.request.method || 'GET'} ${st.request.url}`); });
      add(s.steps);
      (s.tasks || []).forEach(t => add(t.steps));
      return names;
    }

    function thresholdList(s, path) {
      const thresholds = Array.isArray(s.thresholds) ? s.thresholds : [];
      const commit = () => { if (thresholds.length) s.thresholds = thresholds; else delete s.thresholds; };
      const listId = `lk-steps-${path.replace(/\W/g, '')}`;
      const wrap = h('div', { class: 'lk-thresholds', 'data-path': path }, h('datalist', { id: listId }, stepNames(s).map(n => h('option', { value: n }))), h('datalist', { id: 'lk-metrics' }, METRICS.map(n => h('option', { value: n }))));
      thresholds.forEach((t, i) => {
        const p = `${path}[${i}]`;
        if (unsupported(SPEC.threshold, t, p).length) { wrap.append(h('div', { class: 'lk-card' }, asIs(t, p), buttons(thresholds, i, p))); return; }
        const subject = 'step' in t ? 'step' : t.scope === 'iterations' ? 'iterations' : 'all';
        const subjectSelect = select({ all: 'all steps', step: 'step', iterations: 'iterations' }, subject, { 'aria-label': 'of', 'data-role': 'threshold-subject' });
        subjectSelect.addEventListener('change', () => {
          delete t.step; delete t.scope;
          if (subjectSelect.value === 'step') t.step = stepNames(s)[0] || '';
          if (subjectSelect.value === 'iterations') t.scope = 'iterations';
          rerender();
        });
        const limit = LIMITS.find(k => k in t) || 'below';
        const limitSelect = select(Object.fromEntries(LIMITS.map(k => [k, { below: '<', atMost: '≤', atLeast: '≥', above: '>' }[k] + ' ' + k])), limit, { 'aria-label': 'limit', 'data-role': 'threshold-limit' });
        limitSelect.addEventListener('change', () => { const v = t[limit]; delete t[limit]; t[limitSelect.value] = v === undefined ? '' : v; rerender(); });
        const row = h('div', { class: 'lk-row lk-threshold', 'data-path': p }, field('of', p, subjectSelect));
        if (subject === 'step') row.append(text(t, 'step', `${p}.step`, 'step', { keep: true, list: listId }));
        row.append(text(t, 'metric', `${p}.metric`, 'metric', { keep: true, list: 'lk-metrics', placeholder: 'p95' }), field('limit', `${p}.${limit}`, limitSelect),
          text(t, limit, `${p}.${limit}`, 'value', { keep: true, number: true, placeholder: '200ms, or 0.01' }),
          text(t, 'abortOnFail', `${p}.abortOnFail`, 'abort the run', { placeholder: 'no; true, or after 30s', after: () => { if (t.abortOnFail === 'true') t.abortOnFail = true; changed(); } }));
        const warm = h('input', { type: 'checkbox', 'aria-label': 'including warm-up' });
        warm.checked = t.includingWarmUp === true;
        warm.addEventListener('change', () => { if (warm.checked) t.includingWarmUp = true; else delete t.includingWarmUp; changed(); });
        row.append(field('incl. warm-up', `${p}.includingWarmUp`, warm), buttons(thresholds, i, p), h('div', { class: 'lk-error' }));
        wrap.append(row);
      });
      wrap.append(h('button', { type: 'button', class: 'lk-add', 'data-add': 'threshold', onclick: () => { thresholds.push({ metric: 'p95', below: '500ms' }); commit(); rerender(); } }, '+ threshold'), h('div', { class: 'lk-error' }));
      return wrap;
    }

    refresh();
    return { refresh, open, newPlan, get state() { return state; } };
  }

  window.LoadKitPlans = { mount };
})();
