// flamegraph-browser.js PAGE... -- for each nprof -flamegraph page: the time headless Chromium
// takes to load it until the graph is drawn (navigation start to the first draw's end), the
// script's own first draw, and the median of 5 zooms and 5 searches (each a full redraw).
'use strict';
const path = require('path');
const {chromium} = require(path.join(__dirname, '../tests/browser/node_modules/playwright-core'));

function median(a) { a = a.slice().sort((x, y) => x - y); return a[a.length >> 1]; }

(async () => {
  const browser = await chromium.launch({executablePath: process.env.CHROMIUM || '/usr/lib/chromium/chromium', timeout: 180000});
  const page = await browser.newPage({viewport: {width: 1400, height: 900}});
  for (const f of process.argv.slice(2)) {
    await page.goto('about:blank');
    const t0 = Date.now();
    await page.goto('file://' + path.resolve(f), {timeout: 300000});
    await page.waitForFunction(() => window.npflame && window.npflame.boxes, null, {timeout: 300000});
    const loaded = Date.now() - t0;
    const r = await page.evaluate(() => {
      const api = window.npflame, g = api.graph, t = api.tree;
      const kids = [];
      for (let i = 1; i < t.n && kids.length < 5; i++) if (t.depth[i] === 2) kids.push(i);
      const zoom = kids.map(i => { api.zoomTo(i); const d = api.lastDraw; api.back(); return d; });
      const search = ['alloc', 'malloc', 'Handler', 'rpc', '^std::'].map(q => { api.search(q); return api.lastDraw; });
      api.search('');
      return {first: api.firstDraw, nav: performance.timing.responseEnd - performance.timing.navigationStart,
        boxes: t.n, drawn: g.boxes.length, zoom, search};
    });
    console.log(`${path.basename(f)}\tboxes ${r.boxes}\tload-to-drawn ${loaded} ms\tfirst draw ${r.first.toFixed(0)} ms` +
      `\tzoom ${median(r.zoom).toFixed(1)} ms\tsearch ${median(r.search).toFixed(1)} ms`);
  }
  await browser.close();
})();
