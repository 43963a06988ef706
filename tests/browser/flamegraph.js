// flamegraph.js SHOTDIR KEY=VALUE... -- loads nprof -flamegraph pages in headless Chromium and
// checks what they draw by geometry and text, not pixels. Keys:
//   plain=FILE    a plain page: nesting, widths against the page's own data, zoom and back,
//                 icicle/flame toggle, tooltip, sandwich; screenshot SHOTDIR/plain.png
//   search=RE matched=TEXT   on the plain page, typing RE prints "Matched: TEXT"
//   diff=FILE grow=NAME delta=N   a -diff_base page: NAME's box is red, its change is N and the
//                 tooltip says so; screenshot SHOTDIR/diff.png
//   big=FILE      a page of a large profile: it draws, zoom and search redraw (times printed)
// Prints one "ok   ..." or "FAIL ..." line per check.
'use strict';
const fs = require('fs');
const path = require('path');
const {chromium} = require('playwright-core');

const exe = process.env.CHROMIUM || '/usr/lib/chromium/chromium';
const shots = process.argv[2];
const arg = {};
for (const a of process.argv.slice(3)) {
  const i = a.indexOf('=');
  arg[a.slice(0, i)] = a.slice(i + 1);
}
let failed = 0;
function report(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failed++;
}

// The tree as the page holds it, read from the file itself rather than through the page.
function pageData(file) {
  const html = fs.readFileSync(file, 'utf8');
  const m = /<script type="application\/json" id="npflame-data">([\s\S]*?)<\/script>/.exec(html);
  return JSON.parse(m[1]);
}

async function open(page, file) {
  await page.goto('file://' + path.resolve(file), {timeout: 120000});
  await page.waitForFunction(() => window.npflame && window.npflame.boxes, null, {timeout: 60000});
  return page.evaluate(() => ({boxes: window.npflame.boxes(), first: window.npflame.firstDraw,
    width: window.npflame.graph.W, zoom: window.npflame.graph.zoom}));
}

// Every drawn box sits inside its caller's span, one row further, and is as wide as its share
// of the zoomed box (+-5%, boxes of 4 px or more).
function geometry(name, d, st) {
  const by = new Map(st.boxes.map(b => [b.id, b]));
  let nestBad = 0, widthBad = 0, checked = 0;
  const root = d.total[st.zoom];
  for (const b of st.boxes) {
    const p = by.get(b.parent);
    if (p && b.id !== st.zoom && p.id >= st.zoom) {
      if (b.x < p.x - 0.5 || b.x + b.w > p.x + p.w + 0.5 || Math.abs(Math.abs(b.y - p.y) - 18) > 0.01) nestBad++;
    }
    if (b.id > st.zoom && b.w >= 4) {
      checked++;
      const want = Math.max(d.total[b.id], 0) / root * st.width;
      if (Math.abs(b.w - want) > 0.05 * want) widthBad++;
    }
  }
  report(nestBad === 0 && st.boxes.length > 1, `${name}: ${st.boxes.length} boxes nest under their callers (${nestBad} outside)`);
  report(widthBad === 0 && checked > 0, `${name}: ${checked} box widths within 5% of their share of the data (${widthBad} off)`);
}

async function plain(page, file) {
  const name = path.basename(file), d = pageData(file);
  const st = await open(page, file);
  report(st.boxes.length > 0 && st.boxes[0].id === 0 && Math.abs(st.boxes[0].w - st.width) < 0.5,
    `${name}: the root spans the graph (${st.width} px)`);
  geometry(name, d, st);
  // Zoom: click the middle of the widest box two rows down, then Escape.
  const target = st.boxes.filter(b => b.depth === 2).sort((a, b) => b.w - a.w)[0];
  const c = await page.$('.npf-canvas');
  const cb = await c.boundingBox();
  await page.mouse.click(cb.x + target.x + target.w / 2, cb.y + target.y + 9);
  const z = await page.evaluate(() => ({zoom: window.npflame.graph.zoom, boxes: window.npflame.boxes(), W: window.npflame.graph.W,
    crumbs: Array.from(document.querySelectorAll('.npf-crumb')).map(a => a.textContent)}));
  const zb = z.boxes.find(b => b.id === target.id);
  report(z.zoom === target.id && zb && Math.abs(zb.w - z.W) < 0.5 && z.crumbs.length === 3,
    `${name}: a click zooms into ${target.name} (now ${zb ? Math.round(zb.w) : '?'} of ${z.W} px; path ${z.crumbs.join(' > ')})`);
  geometry(name + ' zoomed', d, {boxes: z.boxes, zoom: z.zoom, width: z.W});
  await page.keyboard.press('Escape');
  const back = await page.evaluate(() => window.npflame.graph.zoom);
  report(back === 0, `${name}: Escape zooms back out to the root`);
  // Tooltip: hover the root.
  await page.mouse.move(cb.x + 5, cb.y + 9);
  const tip = await page.evaluate(() => { const t = document.querySelector('.npf-tip'); return t.hidden ? '' : t.innerText; });
  report(/^root/.test(tip) && /Total: .*of root/.test(tip) && /Self: /.test(tip), `${name}: hovering shows name, total and self (${tip.replace(/\n/g, ' | ')})`);
  await page.screenshot({path: path.join(shots, 'plain.png')});
  // Search.
  if (arg.search) {
    await page.fill('.npf-search', arg.search);
    const m = await page.evaluate(() => ({text: document.querySelector('.npf-matched').textContent,
      marked: window.npflame.boxes().filter(b => b.marked).length}));
    report(m.text === 'Matched: ' + arg.matched && m.marked > 0,
      `${name}: search /${arg.search}/ prints "${m.text}" (want "Matched: ${arg.matched}", as -focus keeps) and highlights ${m.marked} boxes`);
    await page.screenshot({path: path.join(shots, 'search.png')});
    await page.fill('.npf-search', '');
  }
  // Orientation: the root moves from the top row to the bottom one.
  await page.click('.npf-orient');
  const fl = await page.evaluate(() => ({root: window.npflame.boxes()[0], rows: window.npflame.graph.rows}));
  report(fl.root.y === (fl.rows - 1) * 18, `${name}: the toggle draws a flame graph, root at the bottom (y ${fl.root.y} of ${fl.rows} rows)`);
  await page.click('.npf-orient');
  const ic = await page.evaluate(() => window.npflame.boxes()[0].y);
  report(ic === 0, `${name}: and back to the icicle, root on top`);
  // Sandwich of the top table's second row (the first is often a leaf).
  const rows = await page.$$('.npf-top tr');
  const fn = await rows[2].$eval('.npf-fn-name', a => a.textContent);
  const cum = await rows[2].$$eval('td', t => t[2].textContent);
  await (await rows[2].$('.npf-sw-open')).click();
  const sw = await page.evaluate(() => {
    const s = window.npflame.sandwich;
    if (!s) return null;
    const up = window.npflame.boxes(s.callers), down = window.npflame.boxes(s.callees);
    return {name: s.name, up: up.length, down: down.length, upRoot: up[0], downRoot: down[0], rows: s.callers.rows,
      total: window.NPFlame.format(down[0].total, window.npflame.tree.d.unit), visible: !document.querySelector('.npf-sandwich').hidden};
  });
  report(sw && sw.visible && sw.name === fn && sw.downRoot.name === fn && sw.upRoot.name === fn && sw.downRoot.y === 0 &&
    sw.upRoot.y === (sw.rows - 1) * 18 && sw.total === cum,
    `${name}: sandwich of ${fn}: callers above (${sw && sw.up} boxes), callees below (${sw && sw.down}), total ${sw && sw.total} = its Cum ${cum}`);
  await page.screenshot({path: path.join(shots, 'sandwich.png'), fullPage: true});
  await page.keyboard.press('Escape');
}

async function diff(page, file) {
  const name = path.basename(file), d = pageData(file);
  const st = await open(page, file);
  geometry(name, d, st);
  const legend = await page.evaluate(() => { const l = document.querySelector('.npf-legend'); return l ? l.innerText : ''; });
  report(/growth/.test(legend) && /shrinkage/.test(legend) && /largest change/.test(legend), `${name}: a legend explains the colours (${legend.replace(/\n/g, ' ')})`);
  const g = st.boxes.find(b => b.name === arg.grow);
  const red = g && /^rgb\(255,(\d+),\1\)$/.exec(g.fill);
  report(!!red && +red[1] < 200, `${name}: ${arg.grow} is drawn red (${g ? g.fill : 'not drawn'})`);
  const delta = g ? d.total[g.id] - d.base[g.id] : NaN;
  report(delta === +arg.delta, `${name}: ${arg.grow}'s change in the data is ${delta} (want ${arg.delta}, as -top -diff_base)`);
  if (g) {
    const cb = await (await page.$('.npf-canvas')).boundingBox();
    await page.mouse.move(cb.x + g.x + Math.min(g.w / 2, 40), cb.y + g.y + 9);
    const tip = await page.evaluate(() => document.querySelector('.npf-tip').innerText);
    const want = await page.evaluate(v => window.NPFlame.format(v, window.npflame.tree.d.unit), delta);
    report(tip.includes('Base \u2192 new') && tip.includes('Change: +' + want), `${name}: the tooltip shows base \u2192 new and the change (${tip.replace(/\n/g, ' | ')})`);
  }
  await page.screenshot({path: path.join(shots, 'diff.png')});
}

// A frame only in the new profile (grow names it) stands out: marked new, and said so on hover.
async function fresh(page, file) {
  const name = path.basename(file);
  const st = await open(page, file);
  const g = st.boxes.find(b => b.name === arg.grow);
  report(!!g && g.isNew, `${name}: ${arg.grow}, not in the base, is drawn as a new frame (${g ? g.fill : 'not drawn'})`);
  if (g) {
    const cb = await (await page.$('.npf-canvas')).boundingBox();
    await page.mouse.move(cb.x + g.x + Math.min(g.w / 2, 40), cb.y + g.y + 9);
    const tip = await page.evaluate(() => document.querySelector('.npf-tip').innerText);
    report(/not in the base profile/.test(tip), `${name}: its tooltip says it is new (${tip.replace(/\n/g, ' | ')})`);
  }
  await page.screenshot({path: path.join(shots, 'diff-new.png')});
}

async function big(page, file) {
  const name = path.basename(file), d = pageData(file);
  const t0 = Date.now();
  const st = await open(page, file);
  const load = Date.now() - t0;
  geometry(name, d, st);
  const z = st.boxes.filter(b => b.depth === 3).sort((a, b) => b.w - a.w)[0];
  const zt = await page.evaluate(id => { window.npflame.zoomTo(id); return window.npflame.lastDraw; }, z.id);
  const sq = await page.evaluate(() => { window.npflame.search('alloc'); return window.npflame.lastDraw; });
  report(st.boxes.length > 100, `${name}: draws ${st.boxes.length} boxes of ${d.boxes} (info: load ${load} ms, first draw ${st.first.toFixed(0)} ms, zoom ${zt.toFixed(0)} ms, search ${sq.toFixed(0)} ms)`);
  await page.screenshot({path: path.join(shots, 'big.png')});
}

(async () => {
  const browser = await chromium.launch({executablePath: exe, timeout: 180000});
  try {
    const page = await browser.newPage({viewport: {width: 1400, height: 900}});
    const errors = [];
    page.on('pageerror', e => errors.push(e.message));
    if (arg.plain) await plain(page, arg.plain);
    if (arg.diff) await diff(page, arg.diff);
    if (arg.fresh) await fresh(page, arg.fresh);
    if (arg.big) await big(page, arg.big);
    report(errors.length === 0, `no script errors (${errors.join('; ')})`);
  } catch (e) {
    report(false, 'browser checks stopped: ' + e.message.split('\n')[0]);
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
})();
