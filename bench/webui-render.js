// webui-render.js PROFILE FOCUS [ROUNDS] -- how long Chromium itself takes to draw nprof's
// focused graph page when the server has it made already, beside the same page made on request
// and a page with nothing to draw (nprof's 404 page): the floor under bench/webui.sh's "focused
// graph drawn", and how much of the server's time the browser's own work hides. Starts
// build/nprof -http (or $NPROF) on PROFILE twice, one keeping pages and asked for
// /ui/graph?f=FOCUS once so that it is made, one with NPROF_WEBUI_CACHE=0 (every page made when
// asked), then times ROUNDS (9) navigations to each page in turn, in one browser warmed up by a
// first visit, measured as webui-browser.js measures them (from about:blank until a laid-out
// node in an animation frame; the empty page until its load event), and prints the medians.
// Measures, asserts nothing.
//   node bench/webui-render.js bench/out/small.pb.gz '^calloc$'
'use strict';
const path = require('path');
const http = require('http');
const net = require('net');
const {spawn} = require('child_process');
const {chromium} = require(path.join(__dirname, '../tests/browser/node_modules/playwright-core'));

const [profile, focus, roundsArg] = process.argv.slice(2);
const rounds = +roundsArg || 9;
const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = a => a.slice().sort((x, y) => x - y)[a.length >> 1];

function freePort() {
  return new Promise(resolve => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function get(url) {
  return new Promise(resolve => {
    http.get(url, res => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', () => resolve(null));
  });
}

const graphDrawn = () => {
  const n = document.querySelector('#graph svg g.node');
  return !!n && n.getBoundingClientRect().width > 0;
};

(async () => {
  if (!profile || !focus) {
    console.error('usage: node bench/webui-render.js PROFILE FOCUS [ROUNDS]');
    process.exit(2);
  }
  const port = await freePort(), port2 = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const bin = process.env.NPROF || 'build/nprof';
  const child = spawn(bin, [`-http=127.0.0.1:${port}`, '-no_browser', profile], {stdio: 'ignore'});
  const child2 = spawn(bin, [`-http=127.0.0.1:${port2}`, '-no_browser', profile],
                       {stdio: 'ignore', env: {...process.env, NPROF_WEBUI_CACHE: '0'}});
  const path = `/ui/graph?f=${encodeURIComponent(focus)}`;
  const focused = base + path, onRequest = `http://127.0.0.1:${port2}` + path;
  while (await get(focused) !== 200 || await get(onRequest) !== 200)
    await new Promise(r => setTimeout(r, 50));
  const browser = await chromium.launch({executablePath: process.env.CHROMIUM || '/usr/lib/chromium/chromium'});
  const page = await browser.newPage();
  const time = async (url, cond) => {
    await page.goto('about:blank');
    const t0 = now();
    await page.goto(url, {waitUntil: cond ? 'commit' : 'load'});
    if (cond)
      await page.waitForFunction(cond, null, {polling: 'raf'});
    return now() - t0;
  };
  const made = [], asked = [], empty = [];
  await time(focused, graphDrawn); // the browser's own first-visit costs are not counted
  await time(onRequest, graphDrawn);
  for (let i = 0; i < rounds; i++) {
    made.push(await time(focused, graphDrawn));
    asked.push(await time(onRequest, graphDrawn));
    empty.push(await time(`${base}/no-such-page`, null));
  }
  await browser.close();
  child.kill('SIGTERM');
  child2.kill('SIGTERM');
  const ms = s => (s * 1000).toFixed(0) + ' ms';
  console.log(`focused graph already made, drawn: ${ms(median(made))} (median of ${rounds}; ` +
              `${ms(Math.min(...made))} to ${ms(Math.max(...made))})`);
  console.log(`focused graph made on request, drawn: ${ms(median(asked))} (${ms(Math.min(...asked))} to ${ms(Math.max(...asked))})`);
  console.log(`empty page loaded: ${ms(median(empty))} (${ms(Math.min(...empty))} to ${ms(Math.max(...empty))})`);
})();
