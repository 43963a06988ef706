// webui.js URL SHOTDIR -- drives nprof's web UI (nprof -http, serving a CPU profile at URL) in
// headless Chromium: every view loads and draws (checked by DOM geometry and text), the flame
// graph (the default view) draws, searches and offers the menu on a right click, Top sorts by a
// clicked column, the click menu focuses from Top and from the graph (the URL and the view
// change), the sample index switches, the graph zooms. Screenshots of each view go to SHOTDIR.
// Prints one "ok   ..." or "FAIL ..." line per check.
'use strict';
const path = require('path');
const {chromium} = require('playwright-core');

const exe = process.env.CHROMIUM || '/usr/lib/chromium/chromium';
const [base, shots] = process.argv.slice(2);
let failed = 0;

function report(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  failed += ok ? 0 : 1;
}

async function shot(page, name) {
  await page.screenshot({path: path.join(shots, 'webui-' + name + '.png')});
}

// What the navigation bar and the content area show.
async function layout(page) {
  return page.evaluate(() => {
    const c = document.getElementById('content').getBoundingClientRect();
    return {
      links: Array.from(document.querySelectorAll('#views a')).map(a => a.textContent),
      current: (document.querySelector('#views a.current') || {}).textContent,
      content: {w: c.width, h: c.height, top: c.top},
      header: document.getElementById('header').getBoundingClientRect().height,
    };
  });
}

async function topRows(page) {
  return page.$$eval('#toptable tbody tr', rows => rows.map(r => ({
    name: r.cells[5].dataset.name, flat: +r.cells[1].dataset.v, cum: +r.cells[4].dataset.v,
    text: Array.from(r.cells).map(c => c.textContent).join(' ')})));
}

async function checkViews(page) {
  await page.goto(base + '/ui/top', {timeout: 60000});
  let l = await layout(page);
  report(l.links.join(',') === 'Flame Graph,Graph,Top,Peek,Source' && l.current === 'Top',
    `Top: navigation bar shows the views, Top current (${l.links.join(',')}; ${l.current})`);
  let rows = await topRows(page);
  const visible = await page.$$eval('#toptable tbody tr', rs => rs.filter(r => r.getBoundingClientRect().height > 5).length);
  report(rows.length > 5 && visible === rows.length && l.content.h > 200,
    `Top: ${rows.length} rows drawn, each with a height (${visible}), below a ${Math.round(l.header)} px header`);
  await shot(page, 'top');

  await page.goto(base + '/ui/graph', {timeout: 60000});
  const g = await page.evaluate(() => {
    const svg = document.querySelector('#graph svg');
    const c = document.getElementById('content').getBoundingClientRect();
    const nodes = Array.from(document.querySelectorAll('#graph g.node'));
    const inside = nodes.filter(n => {
      const b = n.getBoundingClientRect();
      return b.width > 0 && b.left >= c.left - 1 && b.right <= c.right + 1 && b.top >= c.top - 1 && b.bottom <= c.bottom + 1;
    }).length;
    const s = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {nodes: nodes.length, inside, w: s.width, h: s.height, cw: c.width, ch: c.height,
            tips: nodes.map(n => { const a = n.querySelector('a'); return a ? a.getAttribute('xlink:title') : ''; }).join('\n')};
  });
  report(g.nodes > 3 && g.inside === g.nodes && g.w >= g.cw - 30 && g.h >= g.ch - 30,
    `Graph: the svg fills the view (${Math.round(g.w)}x${Math.round(g.h)}) and all ${g.nodes} nodes fit in it on load (${g.inside})`);
  report(/^main\.fib \(/m.test(g.tips), 'Graph: a node stands for main.fib (its tooltip)');
  await shot(page, 'graph');
  const before = await page.$eval('#viewport', v => v.getAttribute('transform'));
  const box = await page.$eval('#graph svg', s => { const b = s.getBoundingClientRect(); return {x: b.left + b.width / 2, y: b.top + b.height / 2}; });
  await page.mouse.move(box.x, box.y);
  await page.mouse.wheel(0, -400);
  await page.waitForTimeout(100);
  const after = await page.$eval('#viewport', v => v.getAttribute('transform'));
  const scale = t => +((/scale\(([-\d.e]+)/.exec(t || '') || [])[1]);
  report(scale(after) > scale(before) * 1.5, `Graph: the wheel zooms (scale ${scale(before).toFixed(3)} -> ${scale(after).toFixed(3)})`);

  await page.goto(base + '/ui/peek?f=main%5C.fib', {timeout: 60000});
  const peek = await page.$eval('#peek', p => ({text: p.textContent, h: p.getBoundingClientRect().height}));
  report(/\| +main\.fib/.test(peek.text) && peek.h > 50, `Peek: main.fib's callers and callees shown (${Math.round(peek.h)} px of text)`);
  await shot(page, 'peek');

  await page.goto(base + '/ui/source?f=main%5C.fib', {timeout: 60000});
  const src = await page.$eval('#list', p => p.textContent);
  report(/ROUTINE =+ main\.fib/.test(src) && /func fib/.test(src), 'Source: main.fib\'s annotated source lines shown');
  await shot(page, 'source');
}

// The flame graph: the default view; its root is Top's total, a search's "Matched" is the
// share Top gives the function (cum), and a right click on a box opens the menu whose Focus
// draws the graph again on that function's samples alone.
async function flameState(page) {
  await page.waitForFunction(() => window.npflame && window.npflame.boxes, null, {timeout: 60000});
  return page.evaluate(() => ({boxes: window.npflame.boxes(), first: window.npflame.firstDraw,
    total: window.npflame.tree.total[0], unit: window.npflame.tree.d.unit,
    canvas: document.querySelector('.npf-canvas').getBoundingClientRect().toJSON()}));
}

async function checkFlame(page) {
  await page.goto(base + '/ui/top', {timeout: 60000});
  const rows = await topRows(page);
  const fib = rows.find(r => r.name === 'main.fib');
  await page.goto(base + '/', {timeout: 60000});
  const l = await layout(page);
  const st = await flameState(page);
  report(l.current === 'Flame Graph' && st.boxes.length > 3 && st.canvas.width > 600 && st.canvas.height > 50,
    `Flame Graph: / shows it, ${st.boxes.length} boxes on a ${Math.round(st.canvas.width)}x${Math.round(st.canvas.height)} canvas, drawn in ${Math.round(st.first)} ms`);
  const nested = st.boxes.every(b => b.parent < 0 || b.parent === undefined ||
    st.boxes.some(p => p.id === b.parent && b.x >= p.x - 0.5 && b.x + b.w <= p.x + p.w + 0.5));
  report(nested, 'Flame Graph: every box lies within its caller');
  const matched = await page.evaluate(() => window.npflame.search('^main\\.fib$'));
  const pct = +((/([\d.]+)%/.exec(matched) || [])[1]);
  report(fib && Math.abs(pct - fib.cum) <= 0.06, `Flame Graph: search main.fib gives ${matched}, Top's cum ${fib ? fib.cum : '?'}%`);
  await page.evaluate(() => window.npflame.search(''));
  await shot(page, 'flame');
  const box = st.boxes.find(b => b.name === 'main.fib' && b.w > 4);
  const c = st.canvas;
  await page.mouse.click(c.x + box.x + box.w / 2, c.y + box.y + box.h / 2, {button: 'right'});
  const menu = await page.evaluate(() => ({hidden: document.getElementById('menu').hidden,
    title: (document.querySelector('#menu .title') || {}).textContent}));
  report(!menu.hidden && menu.title === 'main.fib', `Flame Graph: a right click on main.fib opens the menu (${menu.title})`);
  await shot(page, 'flame-menu');
  await Promise.all([page.waitForNavigation({timeout: 60000}), page.click('#menu a[data-action="focus"]')]);
  const url = new URL(page.url());
  const focused = await flameState(page);
  report(url.pathname === '/flamegraph' && url.searchParams.get('f') === '^main\\.fib$' &&
         Math.abs(focused.total / st.total * 100 - fib.cum) < 0.06,
    `Flame Graph: Focus gives ${url.pathname}${url.search}, a root of ${(focused.total / st.total * 100).toFixed(2)}% of the whole`);
}

async function checkSort(page) {
  await page.goto(base + '/ui/top', {timeout: 60000});
  await page.click('#toptable th[data-col="5"]');
  let rows = await topRows(page);
  let sorted = rows.every((r, i) => i === 0 || rows[i - 1].name <= r.name);
  report(sorted && rows.length > 5, `Top: a click on Name sorts by name (${rows[0].name} ... ${rows[rows.length - 1].name})`);
  await page.click('#toptable th[data-col="4"]');
  rows = await topRows(page);
  sorted = rows.every((r, i) => i === 0 || rows[i - 1].cum >= r.cum);
  const flatOrder = rows.every((r, i) => i === 0 || rows[i - 1].flat >= r.flat);
  report(sorted && !flatOrder, `Top: a click on Cum% sorts by cum, largest first (${rows[0].text})`);
  await page.click('#toptable th[data-col="4"]');
  rows = await topRows(page);
  report(rows.every((r, i) => i === 0 || rows[i - 1].cum <= r.cum), 'Top: a second click reverses');
  await shot(page, 'top-sorted');
}

async function checkMenu(page) {
  await page.goto(base + '/ui/top', {timeout: 60000});
  const all = await topRows(page);
  const target = all.find(r => r.name === 'main.fib') || all[1];
  await page.click(`#toptable td.name[data-name="${target.name}"]`);
  const menu = await page.evaluate(() => {
    const m = document.getElementById('menu');
    const b = m.getBoundingClientRect();
    return {hidden: m.hidden, w: b.width, h: b.height,
            items: Array.from(m.querySelectorAll('a')).map(a => a.textContent),
            title: (m.querySelector('.title') || {}).textContent};
  });
  report(!menu.hidden && menu.w > 50 && menu.h > 40 && menu.items.join(',') === 'Focus,Ignore,Hide,Show source' && menu.title === target.name,
    `Top: a click on ${target.name} opens the menu (${menu.items.join(', ')})`);
  await shot(page, 'menu');
  await Promise.all([page.waitForNavigation({timeout: 60000}), page.click('#menu a[data-action="focus"]')]);
  const url = new URL(page.url());
  const want = '^' + target.name.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&') + '$';
  report(url.pathname === '/ui/top' && url.searchParams.get('f') === want, `Top: Focus goes to ${url.pathname}${url.search}`);
  const focused = await topRows(page);
  const field = await page.$eval('#field-f', f => f.value);
  report(focused.length > 0 && focused.length < all.length && focused.some(r => r.name === target.name) && field === want,
    `Top: the focused table has ${focused.length} rows (of ${all.length}), the Focus field shows ${field}`);

  // From the graph: a node's menu focuses on it.
  await page.goto(base + '/ui/graph', {timeout: 60000});
  const n0 = await page.$$eval('#graph g.node', ns => ns.length);
  const node = await page.$('#graph g.node:has(text:text-is("fib"))') || await page.$('#graph g.node');
  // Opening the menu asks the server for its Focus at once, so the click finds it made.
  const prefetched = page.waitForResponse(r => new URL(r.url()).searchParams.has('f'), {timeout: 60000});
  await node.click();
  const title = await page.$eval('#menu .title', t => t.textContent);
  const pre = await prefetched;
  await pre.finished();
  const [nav] = await Promise.all([page.waitForNavigation({timeout: 60000}), page.click('#menu a[data-action="focus"]')]);
  report(pre.url() === nav.url() && (await nav.allHeaders())['x-nprof-cache'] === 'hit',
    `Graph: the menu's Focus was asked for as the menu opened, and the click got it from the server's cache (${(await nav.allHeaders())['x-nprof-cache']})`);
  const gurl = new URL(page.url());
  const n1 = await page.$$eval('#graph g.node', ns => ns.length);
  report(gurl.pathname === '/ui/graph' && gurl.searchParams.get('f') === '^' + title.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&') + '$' && n1 > 0 && n1 < n0,
    `Graph: a click on node ${title} and Focus give ${gurl.search} with ${n1} nodes (of ${n0})`);
  await shot(page, 'graph-focused');
}

async function checkSampleIndex(page) {
  await page.goto(base + '/ui/top', {timeout: 60000});
  const options = await page.$$eval('#si option', os => os.map(o => o.value));
  const current = await page.$eval('#si', s => s.value);
  const other = options.find(o => o !== current);
  const before = await topRows(page);
  await Promise.all([page.waitForNavigation({timeout: 60000}), page.selectOption('#si', other)]);
  const url = new URL(page.url());
  const after = await topRows(page);
  const shown = await page.$eval('#si', s => s.value);
  const legend = await page.$eval('#legend', l => l.textContent);
  report(url.searchParams.get('si') === other && shown === other && after.length > 0 && before.length > 0 &&
         after[0].text !== before[0].text,
    `sample index ${current} -> ${other}: URL ${url.search}, first row now "${after[0].text}" (was "${before[0].text}")`);
  report(!/ si=$|f=&/.test(url.search), `the form leaves empty fields out of the URL (${url.search})`);
  void legend;
}

(async () => {
  let browser;
  try {
    browser = await chromium.launch({executablePath: exe, timeout: 120000, args: ['--no-sandbox']});
    const page = await browser.newPage({viewport: {width: 1280, height: 800}});
    page.setDefaultTimeout(60000);
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    await checkViews(page);
    await checkFlame(page);
    await checkSort(page);
    await checkMenu(page);
    await checkSampleIndex(page);
    report(errors.length === 0, `no script errors on the pages (${errors.join('; ')})`);
  } catch (e) {
    report(false, 'browser run: ' + String(e).split('\n')[0]);
  } finally {
    if (browser) {
      await browser.close();
    }
  }
  process.exit(failed ? 1 : 0);
})();
