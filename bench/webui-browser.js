// webui-browser.js NAME PROFILE FOCUS ROUNDS -- go tool pprof -http and nprof -http side by side
// in one headless Chromium (bench/webui.sh sets up and calls this once per profile).
//
// Each round starts each server in turn (the order alternates between rounds, so that a slow
// spell of this shared machine does not always hit the same tool) and measures, in this order:
//   answers  spawn until the complete 200 page of GET / (redirects followed): the view a browser
//            opened on the printed address gets first (pprof: the graph). Connection refused
//            means "not yet"; no other request is made before it.
//   graph    navigation to the graph view until its SVG has a laid-out node (g.node with a
//            nonzero box) in an animation frame;
//   focus    the same with the focus on FOCUS (f=, as the click menu's Focus makes);
//   menu     the focus as a user applies it in each UI, on the graph of the first step: click the
//            node of the focused function (FOCUS without its anchors), wait MENU_DELAY_MS (300:
//            the time a hand takes to reach the menu item), then from the click on the menu's
//            Focus (pprof: Refine > Focus; nprof: the node's menu) until the focused graph is
//            drawn;
//   flame    navigation to /ui/flamegraph until drawn (pprof: d3's rectangles in #chart;
//            nprof: the flame script's tree mounted after its first draw). "pending" when nprof
//            answers 404 there;
//   rss      the server's peak resident memory (VmHWM) after all of the above.
// A step that passes CAP_S seconds, or a server that passes CAP_MB of memory (it is killed),
// has a lower bound (">") for its figure, and a fresh server (its start not timed) takes the
// next steps; the RSS is the highest of the run's servers (">CAP_MB" when one was killed).
// Prints one Markdown row per measure: the median over the rounds for each tool and the
// ratio pprof / nprof; the single rounds go to stderr.
'use strict';
const path = require('path');
const http = require('http');
const net = require('net');
const fs = require('fs');
const {spawn} = require('child_process');
const {chromium} = require(path.join(__dirname, '../tests/browser/node_modules/playwright-core'));
const SETTLE_MS = +(process.env.BENCH_SETTLE_MS || 5000);

const [name, profile, focus, roundsArg] = process.argv.slice(2);
const rounds = +roundsArg || 3;
const CAP_S = +(process.env.BENCH_CAP_S || 180);
const CAP_MB = +(process.env.BENCH_CAP_MB || 8192);
const MENU_DELAY_MS = +(process.env.MENU_DELAY_MS || 300);
const tools = {
  pprof: {bin: process.env.PPROF, graph: '/ui/', flame: '/ui/flamegraph',
    flameDrawn: () => document.querySelectorAll('#chart svg rect').length > 0,
    // A click selects the node; the Refine menu opens on a press of its name.
    focusItem: async page => {
      await page.click('#refine .menu-name');
      return '#focus';
    }},
  nprof: {bin: process.env.NPROF || 'build/nprof', graph: '/ui/graph', flame: '/ui/flamegraph',
    flameDrawn: () => !!(window.npflame && window.npflame.tree),
    focusItem: async () => '#menu a[data-action="focus"]'},
};
const order = (process.env.BENCH_TOOLS || 'pprof nprof').split(/\s+/).filter(Boolean);

const sleep = ms => new Promise(r => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e9;

function freePort() {
  return new Promise(resolve => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function memKiB(pid, field) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(field + ':\\s+(\\d+)'));
    return m ? +m[1] : 0;
  } catch (e) {
    return 0;
  }
}

// One GET, redirects followed; resolves with the status, or null when nothing listens yet.
function get(url, hops = 5) {
  return new Promise(resolve => {
    const req = http.get(url, res => {
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location && hops > 0) {
        res.resume();
        return resolve(get(new URL(res.headers.location, url).href, hops - 1));
      }
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(null));
    req.setTimeout(CAP_S * 1000, () => req.destroy());
  });
}

// Rejects when the step passes CAP_S or the server is gone (stopped at CAP_MB).
function capped(promise, srv) {
  return Promise.race([promise, new Promise((_, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      if (srv.dead || Date.now() - t0 > CAP_S * 1000) {
        clearInterval(iv);
        reject(new Error(srv.dead ? `server passed ${CAP_MB} MB` : `over ${CAP_S} s`));
      }
    }, 50);
    promise.finally(() => clearInterval(iv)).catch(() => {});
  })]);
}

async function drawn(page, url, cond, srv) {
  await page.goto('about:blank'); // nothing of an earlier page is still loading
  const t0 = now();
  const resp = await capped(page.goto(url, {waitUntil: 'commit', timeout: 0}), srv);
  if (resp.status() === 404)
    return 'pending';
  await capped(page.waitForFunction(cond, null, {polling: 'raf', timeout: 0}), srv);
  return now() - t0;
}

// The focus as each UI applies it (see "menu" above); the clock starts at the click on Focus.
async function menuFocus(page, t, srv) {
  await page.goto(srv.base + t.graph, {timeout: 0});
  await page.waitForFunction(graphDrawn, null, {polling: 'raf', timeout: 0});
  const name = focus.replace(/^\^/, '').replace(/\$$/, '').replace(/\\(.)/g, '$1');
  const node = await page.evaluateHandle(n => Array.from(document.querySelectorAll('#graph svg g.node')).find(g => {
    const a = g.querySelector('a');
    const title = a ? a.getAttribute('xlink:title') || a.getAttribute('title') || '' : '';
    return title.startsWith(n + ' (');
  }), name);
  if (!node.asElement())
    throw new Error(`no node for ${name}`);
  await node.asElement().click();
  await sleep(MENU_DELAY_MS);
  const item = await t.focusItem(page);
  // The pointer reaches the item first (pprof writes the item's link on mouseenter); the click
  // itself is dispatched at once, without the driver's own waits for a stable target.
  await page.hover(item);
  const t0 = now();
  await capped(Promise.all([page.waitForNavigation({waitUntil: 'commit', timeout: 0}),
    page.$eval(item, a => a.click())]), srv);
  await capped(page.waitForFunction(graphDrawn, null, {polling: 'raf', timeout: 0}), srv);
  return now() - t0;
}

const graphDrawn = () => {
  const n = document.querySelector('#graph svg g.node');
  return !!n && n.getBoundingClientRect().width > 0;
};

// Starts tool's server (the clock of its answers starts here) with a watch on its memory.
async function startServer(t) {
  const port = await freePort();
  const srv = {base: `http://127.0.0.1:${port}`, dead: false, hwm: 0, t0: now()};
  srv.child = spawn(t.bin, [`-http=127.0.0.1:${port}`, '-no_browser', profile], {stdio: 'ignore'});
  srv.watch = setInterval(() => {
    srv.hwm = Math.max(srv.hwm, memKiB(srv.child.pid, 'VmHWM'));
    if (memKiB(srv.child.pid, 'VmRSS') > CAP_MB * 1024 && !srv.dead) {
      srv.dead = true;
      srv.child.kill('SIGKILL');
    }
  }, 100);
  return srv;
}

async function stopServer(srv) {
  srv.hwm = Math.max(srv.hwm, memKiB(srv.child.pid, 'VmHWM'));
  clearInterval(srv.watch);
  const c = srv.child;
  c.kill('SIGTERM');
  await new Promise(res => c.exitCode !== null || c.signalCode ? res() : c.on('exit', res));
}

// The time from the server's start until GET / gives a whole 200 page.
async function answered(srv) {
  for (;;) {
    const st = await capped(get(srv.base + '/'), srv);
    if (st === 200)
      return now() - srv.t0;
    if (st !== null)
      throw new Error(`GET / answered ${st}`);
    await sleep(10);
  }
}

async function run(browser, tool) {
  const t = tools[tool];
  // The browser's page is made before the clock starts: only the server is timed.
  const ctx = await browser.newContext({viewport: {width: 1400, height: 900}});
  // Chromium asks each page's server for /favicon.ico; pprof answers any unknown path with a
  // whole graph, so each page would start a second graph on pprof's server. Not asked here:
  // each figure is the view's own work.
  await ctx.route('**/favicon.ico', r => r.abort());
  const page = await ctx.newPage();
  let srv = await startServer(t);
  const servers = [srv];
  const r = {};
  const steps = [
    ['answers', () => answered(srv)],
    ['graph', () => drawn(page, srv.base + t.graph, graphDrawn, srv)],
    ['focus', () => drawn(page, srv.base + t.graph + '?f=' + encodeURIComponent(focus), graphDrawn, srv)],
    ['menu', () => menuFocus(page, t, srv)],
    ['flame', () => drawn(page, srv.base + t.flame, t.flameDrawn, srv)],
  ];
  for (const [k, fn] of steps) {
    if (!srv) {
      r[k] = 'skipped';
      continue;
    }
    const ts = k === 'answers' ? srv.t0 : now();
    try {
      r[k] = await fn();
    } catch (e) {
      r[k] = {lower: now() - ts, why: e.message};
      // A server that failed a step is busy or gone: a fresh one (not timed) takes the next.
      await stopServer(srv);
      srv = await startServer(t);
      servers.push(srv);
      await answered(srv).catch(() => {
        srv = null;
      });
    }
  }
  for (const s of servers)
    if (s.child.exitCode === null && !s.child.signalCode)
      await stopServer(s);
  r.rss = servers.some(s => s.dead) ? {lower: CAP_MB} : Math.max(...servers.map(s => s.hwm)) / 1024;
  await ctx.close();
  return r;
}

const show = v => typeof v === 'number' ? v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)
  : v === 'pending' || v === 'skipped' ? v : v && v.lower !== undefined ? '>' + v.lower.toFixed(v.lower >= 10 ? 0 : 2) : '-';

function median(vals) {
  for (const word of ['pending', 'skipped'])
    if (vals.some(v => v === word))
      return word;
  const lower = vals.filter(v => typeof v !== 'number');
  if (lower.length)
    return {lower: Math.max(...lower.map(v => v.lower))};
  const a = vals.slice().sort((x, y) => x - y);
  return a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
}

function ratio(p, n) {
  if (typeof n !== 'number' || n <= 0)
    return '-';
  if (typeof p === 'number')
    return (p / n).toFixed(1) + 'x';
  return p && p.lower !== undefined ? '>' + (p.lower / n).toFixed(0) + 'x' : '-';
}

(async () => {
  const browser = await chromium.launch({executablePath: process.env.CHROMIUM || '/usr/lib/chromium/chromium', timeout: 180000});
  const all = {pprof: [], nprof: []};
  for (let i = 0; i < rounds; i++) {
    for (const tool of i % 2 ? order.slice().reverse() : order) {
      const r = await run(browser, tool);
      // A pause before the next run: the memory a server gave back (pprof's reaches gigabytes)
      // is still being reclaimed for a few seconds, which slows whatever runs next on a
      // virtual machine like this one.
      await new Promise(res => setTimeout(res, SETTLE_MS));
      all[tool].push(r);
      console.error(`bench: ${name} round ${i + 1} ${tool}: ` +
        ['answers', 'graph', 'focus', 'menu', 'flame', 'rss'].map(k => `${k} ${show(r[k])}${r[k] && r[k].why ? ' (' + r[k].why + ')' : ''}`).join(', '));
    }
  }
  await browser.close();
  const size = (fs.statSync(profile).size / 1048576).toFixed(1);
  const labels = {answers: 'server answers (s)', graph: 'graph drawn (s)', focus: 'focused graph drawn (s)',
    menu: 'focus applied in the UI (s)', flame: 'flame graph drawn (s)', rss: 'server peak RSS (MiB)'};
  for (const k of Object.keys(labels)) {
    const p = all.pprof.length ? median(all.pprof.map(r => r[k])) : undefined;
    const n = all.nprof.length ? median(all.nprof.map(r => r[k])) : undefined;
    console.log(`| ${name} (${size} MB) | ${labels[k]} | ${show(p)} | ${show(n)} | ${ratio(p, n)} |`);
  }
})().catch(e => {
  console.error('bench: ' + e.stack);
  process.exit(1);
});
