// LoadKit control page: tabs, the live feed (Server-Sent Events), the workers table, runs and their live charts.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const state = { local: true, workers: [], plans: [], assemblies: [], runs: [], live: null, points: new Map(), log: [], processes: new Map() };
  // What the charts draw, for a test or a console to read: seconds and one array per series.
  const charts = { seconds: [], requests: [], errors: [], users: [], dropped: [], latency: {}, rate: {}, cpu: {} };
  window.loadkitCharts = charts;
  window.loadkitLive = state;
  const plots = {};

  // Tabs
  function show(tab) {
    for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.tab === tab);
    for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== tab;
    if (tab === 'runs') redraw();
    history.replaceState(null, '', '#' + tab);
  }
  for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => show(b.dataset.tab));
  show((location.hash || '#workers').slice(1));

  const text = (value) => document.createTextNode(value == null ? '' : String(value));
  function cell(row, value, cls) { const td = row.insertCell(); td.appendChild(text(value)); if (cls) td.className = cls; return td; }
  function ago(iso) {
    if (!iso) return '–';
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s + ' s ago';
  }

  // Workers
  function latestGenerators() {
    const seconds = [...state.points.keys()].sort((a, b) => a - b);
    for (let i = seconds.length - 1; i >= 0; i--) {
      const g = state.points.get(seconds[i]).generators;
      if (g && Object.keys(g).length) return g;
    }
    return {};
  }
  function renderWorkers(view) {
    if (view) { state.workers = view.workers || []; state.workersSource = view.source; state.workersProblem = view.problem; }
    $('workers-source').textContent = state.workersSource ? 'Registered in ' + state.workersSource + ' (watched).' : 'No etcd given: runs go in the page\'s own process.';
    $('workers-problem').hidden = !state.workersProblem;
    $('workers-problem').textContent = state.workersProblem || '';
    const body = $('workers-table').tBodies[0];
    body.replaceChildren();
    const health = state.live && state.live.state !== 'finished' && state.live.state !== 'failed' ? latestGenerators() : {};
    for (const w of state.workers) {
      const row = body.insertRow();
      row.dataset.worker = w.id;
      cell(row, w.id);
      cell(row, health[w.id] && health[w.id].lost ? 'lost: ' + health[w.id].lost : w.state, 'worker-state');
      cell(row, Object.entries(w.labels || {}).map(([k, v]) => k + '=' + v).join(', ') || '–');
      cell(row, w.version);
      cell(row, w.cores);
      cell(row, ago(w.lastHeartbeat));
      const h = health[w.id];
      cell(row, h && h.cpu != null ? h.cpu.toFixed(0) + ' %' : '–');
      cell(row, h && h.memoryMb != null ? h.memoryMb.toFixed(0) + ' MB' : '–');
      cell(row, h && h.collections != null ? h.collections : '–');
      cell(row, h ? h.rate.toFixed(0) : '–');
    }
    if (!state.workers.length) { const row = body.insertRow(); const td = cell(row, state.local ? 'No etcd: runs go in this process.' : 'No worker registered.'); td.colSpan = 10; td.className = 'muted'; }
  }

  // Plans
  function renderPlans(plans) {
    state.plans = plans;
    const table = $('plans-table'); // gone once the plan editor took the tab over
    const body = table ? table.tBodies[0] : document.createElement('tbody');
    body.replaceChildren();
    for (const p of plans) {
      const row = body.insertRow();
      cell(row, p.name);
      cell(row, new Date(p.modified).toLocaleString());
      const run = document.createElement('button');
      run.textContent = 'Run…';
      run.addEventListener('click', () => { $('start-kind').value = 'plan'; showKind(); $('start-plan').value = p.name; show('runs'); });
      row.insertCell().appendChild(run);
    }
    const select = $('start-plan');
    const chosen = select.value;
    select.replaceChildren(...plans.map((p) => new Option(p.name, p.name)));
    if (plans.some((p) => p.name === chosen)) select.value = chosen;
  }

  // Uploaded test assemblies: the zip of a test project's build output; one of its scenario factories is started.
  function renderAssemblies(assemblies) {
    state.assemblies = assemblies;
    const select = $('start-assembly');
    const chosen = select.value;
    select.replaceChildren(...assemblies.map((a) => new Option(a.name + (a.problem ? ' (cannot run)' : ''), a.name)));
    if (assemblies.some((a) => a.name === chosen)) select.value = chosen;
    renderScenarios();
  }
  function renderScenarios() {
    const a = state.assemblies.find((x) => x.name === $('start-assembly').value);
    const select = $('start-scenario');
    const chosen = select.value;
    const options = a ? a.factories.map((f) => new Option(f.method, f.name)) : [];
    if (a && a.factories.length > 1) options.push(new Option('(every factory)', ''));
    select.replaceChildren(...options);
    if (a && a.factories.some((f) => f.name === chosen)) select.value = chosen;
    if (a && a.problem) $('upload-problem').textContent = a.problem;
  }
  function showKind() {
    const assembly = $('start-kind').value === 'assembly';
    $('start-plan-label').hidden = assembly;
    $('start-assembly-label').hidden = !assembly;
    $('start-scenario-label').hidden = !assembly;
    $('upload').hidden = !assembly;
  }
  $('start-kind').addEventListener('change', showKind);
  $('start-assembly').addEventListener('change', renderScenarios);
  $('upload-assembly').addEventListener('change', async () => {
    const file = $('upload-assembly').files[0];
    if (!file) return;
    $('upload-problem').textContent = '';
    $('upload-status').textContent = 'Uploading ' + file.name + '…';
    let response, answer;
    try {
      response = await fetch('/api/assemblies?name=' + encodeURIComponent(file.name), { method: 'POST', headers: { 'Content-Type': 'application/zip' }, body: file });
      answer = await response.json().catch(() => ({}));
    } catch (e) {
      response = { ok: false, statusText: String(e) }; answer = {};
    }
    $('upload-assembly').value = '';
    if (!response.ok) {
      $('upload-status').textContent = '';
      $('upload-problem').textContent = (answer.problems || [answer.error || response.statusText || 'The upload failed.']).join(' ');
      return;
    }
    $('upload-status').textContent = `Uploaded ${answer.name}: ${answer.assembly}, ${answer.factories.length} scenario ${answer.factories.length === 1 ? 'factory' : 'factories'}.`;
    renderAssemblies([...state.assemblies.filter((a) => a.name !== answer.name), answer].sort((x, y) => (x.name < y.name ? -1 : 1)));
    $('start-assembly').value = answer.name;
    renderScenarios();
  });

  $('delete-assembly').addEventListener('click', async () => {
    const name = $('start-assembly').value;
    $('upload-problem').textContent = '';
    $('upload-status').textContent = '';
    if (!name) {
      $('upload-problem').textContent = 'No upload chosen: choose a test assembly above.';
      return;
    }
    const response = await fetch('/api/assemblies/' + encodeURIComponent(name), { method: 'DELETE' }).catch((e) => ({ ok: false, statusText: String(e), json: async () => ({}) }));
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      $('upload-problem').textContent = (answer.problems || [response.statusText || 'The delete failed.']).join(' ');
      return;
    }
    $('upload-status').textContent = 'Deleted ' + name + '.';
    renderAssemblies(state.assemblies.filter((a) => a.name !== name));
  });

  // Runs
  function renderRuns(runs) {
    state.runs = runs;
    const body = $('runs-table').tBodies[0];
    body.replaceChildren();
    for (const r of runs) {
      const row = body.insertRow();
      row.dataset.run = r.id;
      cell(row, r.id);
      cell(row, r.plan);
      cell(row, r.where);
      cell(row, new Date(r.startedAt).toLocaleString());
      cell(row, r.verdict + (r.problem ? ': ' + r.problem : ''), r.state === 'failed' || r.verdict.startsWith('failed') ? 'failed' : 'passed');
      cell(row, r.requests);
      cell(row, r.errors);
      const links = row.insertCell();
      if (r.hasReport) {
        for (const [file, label] of [['report.html', 'report'], ['result.json', 'JSON']]) {
          const a = document.createElement('a');
          a.href = '/runs/' + encodeURIComponent(r.id) + '/' + file;
          a.target = '_blank';
          a.rel = 'noopener';
          a.textContent = label;
          a.className = 'report-' + label.toLowerCase();
          links.appendChild(a);
          links.appendChild(text(' '));
        }
      }
    }
  }

  function setLive(run) {
    state.live = run;
    $('live').hidden = false;
    $('live-title').textContent = run.plan + ' in ' + run.where + ' · ' + run.id;
    setRunState(run);
  }
  function setRunState(run) {
    if (!state.live || state.live.id !== run.id) { startLive(run); return; }
    Object.assign(state.live, run);
    $('live-state').textContent = run.state;
    renderProcesses();
    $('live-problem').textContent = run.problem || '';
    const going = run.state === 'starting' || run.state === 'running';
    $('stop').disabled = !going;
    $('start').disabled = going || run.state === 'stopping';
  }
  // Each load process of the run as last seen: a lost one stays marked lost after its registration is gone.
  function noteProcesses(points) {
    for (const p of points) {
      for (const [name, g] of Object.entries(p.generators || {})) {
        const seen = state.processes.get(name);
        if (!seen || p.second >= seen.second || g.lost) state.processes.set(name, { second: p.second, ...g, lost: g.lost || (seen && seen.lost) });
      }
    }
  }
  function renderProcesses() {
    const body = $('processes').tBodies[0];
    body.replaceChildren();
    for (const [name, g] of [...state.processes.entries()].sort()) {
      const row = body.insertRow();
      row.dataset.process = name;
      cell(row, name);
      cell(row, g.lost ? 'lost: ' + g.lost : state.live && (state.live.state === 'finished' || state.live.state === 'failed') ? 'finished' : 'running', g.lost ? 'process-state failed' : 'process-state');
      cell(row, g.rate != null ? g.rate.toFixed(0) : '–');
      cell(row, g.cpu != null ? g.cpu.toFixed(0) + ' %' : '–');
      cell(row, g.memoryMb != null ? g.memoryMb.toFixed(0) + ' MB' : '–');
      cell(row, g.collections != null ? g.collections : '–');
    }
  }
  function startLive(run) {
    state.points = new Map();
    state.processes = new Map();
    state.log = [];
    $('log').replaceChildren();
    for (const k of Object.keys(charts)) charts[k] = Array.isArray(charts[k]) ? [] : {};
    setLive(run);
    for (const p of run.points || []) state.points.set(p.second, p);
    noteProcesses(run.points || []);
    renderProcesses();
    renderThresholds(run.thresholds || []);
    for (const line of run.log || []) addLog(line);
    redraw();
  }

  function renderThresholds(rows) {
    const body = $('thresholds').tBodies[0];
    body.replaceChildren();
    $('thresholds').hidden = rows.length === 0;
    for (const t of rows) {
      const row = body.insertRow();
      cell(row, t.threshold);
      cell(row, t.scenario || 'run');
      cell(row, t.passed == null ? 'pending' : t.passed ? 'passing' : 'crossed', t.passed == null ? 'pending' : t.passed ? 'passed' : 'failed');
      cell(row, t.observed);
    }
  }

  function addLog(line) {
    state.log.push(line);
    const log = $('log');
    const div = document.createElement('div');
    div.className = line.level;
    const time = new Date(line.at).toLocaleTimeString();
    const source = document.createElement('span');
    source.className = 'source';
    source.textContent = '[' + line.source + ']';
    div.append(text(time + ' '), source, text(' ' + line.kind + ': ' + line.message));
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.appendChild(div);
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  // Charts: the points by second become one array per series; a chart is made again when its series change.
  function rebuildSeries() {
    const seconds = [...state.points.keys()].sort((a, b) => a - b);
    const points = seconds.map((s) => state.points.get(s));
    charts.seconds = seconds;
    charts.requests = points.map((p) => p.requests);
    charts.errors = points.map((p) => p.errors);
    charts.users = points.map((p) => p.activeUsers);
    charts.dropped = points.map((p) => p.dropped);
    const steps = [...new Set(points.flatMap((p) => Object.keys(p.steps)))];
    charts.latency = {};
    for (const step of steps) {
      charts.latency[step] = {
        p50: points.map((p) => (p.steps[step] ? p.steps[step].p50 : null)),
        p95: points.map((p) => (p.steps[step] ? p.steps[step].p95 : null)),
        p99: points.map((p) => (p.steps[step] ? p.steps[step].p99 : null)),
      };
    }
    const processes = [...new Set(points.flatMap((p) => Object.keys(p.generators || {})))];
    charts.rate = {}; charts.cpu = {};
    for (const proc of processes) {
      charts.rate[proc] = points.map((p) => (p.generators && p.generators[proc] ? p.generators[proc].rate : null));
      charts.cpu[proc] = points.map((p) => (p.generators && p.generators[proc] && p.generators[proc].cpu != null ? p.generators[proc].cpu : null));
    }
  }

  const palette = ['#2f6fdf', '#d9480f', '#2b8a3e', '#862e9c', '#c92a2a', '#1098ad', '#e67700', '#5c7cfa'];
  function draw(id, names, columns) {
    const element = $(id);
    const key = names.join('|');
    const data = [charts.seconds, ...columns];
    if (plots[id] && plots[id].key === key) { plots[id].plot.setData(data); return; }
    if (plots[id]) plots[id].plot.destroy();
    element.replaceChildren();
    if (typeof uPlot === 'undefined' || element.offsetParent === null) { delete plots[id]; return; }
    const options = {
      width: Math.max(320, element.clientWidth || 480), height: 220,
      scales: { x: { time: false } },
      axes: [{ label: 'second' }, {}],
      cursor: { drag: { x: true, y: false } },
      series: [{ label: 'second' }, ...names.map((n, i) => ({ label: n, stroke: palette[i % palette.length], width: 1.5, spanGaps: true }))],
    };
    plots[id] = { key, plot: new uPlot(options, data, element) };
  }
  function redraw() {
    rebuildSeries();
    if ($('runs').hidden) return;
    draw('chart-requests', ['requests/s', 'errors/s'], [charts.requests, charts.errors]);
    const latencyNames = []; const latency = [];
    for (const [step, s] of Object.entries(charts.latency)) for (const q of ['p50', 'p95', 'p99']) { latencyNames.push(step + ' ' + q); latency.push(s[q]); }
    draw('chart-latency', latencyNames, latency);
    draw('chart-users', ['active VUs', 'dropped'], [charts.users, charts.dropped]);
    draw('chart-rate', Object.keys(charts.rate), Object.values(charts.rate));
    draw('chart-cpu', Object.keys(charts.cpu), Object.values(charts.cpu));
  }

  // Start and stop
  $('start-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('start-problem').textContent = '';
    const workers = state.local ? null : Number($('start-workers').value);
    const body = $('start-kind').value === 'assembly'
      ? { assembly: $('start-assembly').value, scenario: $('start-scenario').value, workers }
      : { plan: $('start-plan').value, workers };
    const response = await fetch('/api/runs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) { $('start-problem').textContent = (answer.problems || [answer.error || response.statusText]).join(' '); return; }
    // The feed may have told of this run already (with points and log lines since): keep what it told.
    if (!state.live || state.live.id !== answer.id) startLive(answer);
  });
  $('stop').addEventListener('click', async () => {
    if (!state.live) return;
    const response = await fetch('/api/runs/' + encodeURIComponent(state.live.id) + '/stop', { method: 'POST' });
    if (!response.ok) { const a = await response.json().catch(() => ({})); $('start-problem').textContent = (a.problems || [response.statusText]).join(' '); }
  });

  // The live feed
  let pending = false;
  function schedule() { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; redraw(); renderWorkers(); renderProcesses(); }); } }
  function connect() {
    const events = new EventSource('/api/events');
    const on = (name, handler) => events.addEventListener(name, (e) => handler(JSON.parse(e.data)));
    events.onopen = () => { $('connection').textContent = 'live'; };
    events.onerror = () => { $('connection').textContent = 'reconnecting…'; };
    on('hello', (h) => {
      state.local = h.local;
      $('start-workers-label').hidden = h.local;
      // The live view of a test run starts nothing: only its run is shown.
      if (h.view) { $('start-form').hidden = true; $('tab-workers').hidden = true; $('tab-plans').hidden = true; show('runs'); }
      renderWorkers();
    });
    on('workers', renderWorkers);
    on('plans', renderPlans);
    on('assemblies', renderAssemblies);
    on('runs', renderRuns);
    on('live', startLive);
    on('run', setRunState);
    on('log', (m) => { if (state.live && m.id === state.live.id) addLog(m.line); });
    on('points', (m) => {
      if (!state.live || m.id !== state.live.id) return;
      for (const p of m.points) state.points.set(p.second, p);
      noteProcesses(m.points);
      if (m.final) state.live.final = true;
      renderThresholds(m.thresholds || []);
      schedule();
    });
  }
  // The plan editor (wwwroot/plans.js, linked by the server when the package has it) takes over the Plans tab.
  if (window.LoadKitPlans) window.LoadKitPlans.mount($('plans'));
  connect();
  setInterval(() => renderWorkers(), 1000);
  window.addEventListener('resize', () => { for (const id of Object.keys(plots)) { plots[id].plot.destroy(); delete plots[id]; } redraw(); });
})();
