// svgpan.js SHOT FILE.svg... -- loads each of nprof's -svg files in headless Chromium and
// checks that it renders (the graph has a size and, for a non-empty graph, drawn nodes) and
// that the wheel zooms around the pointer and a drag pans (the viewport group's transform).
// Prints one "ok   ..." or "FAIL ..." line per check; the first file's screenshot goes to SHOT.
'use strict';
const path = require('path');
const {chromium} = require('playwright-core');

const exe = process.env.CHROMIUM || '/usr/lib/chromium/chromium';

function parse(t) {
  const m = /translate\(([-\d.e]+),([-\d.e]+)\) scale\(([-\d.e]+)\)/.exec(t || '');
  return m ? {x: +m[1], y: +m[2], s: +m[3]} : null;
}

function report(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  return ok ? 0 : 1;
}

async function check(page, file, shot) {
  const name = path.basename(path.dirname(file)) + '/' + path.basename(file);
  let failed = 0;
  await page.goto('file://' + path.resolve(file), {timeout: 60000});
  const info = await page.evaluate(() => {
    const g = document.getElementById('graph0');
    const v = document.getElementById('viewport');
    const box = g ? g.getBoundingClientRect() : null;
    return {
      root: document.documentElement.tagName,
      viewport: v ? v.getAttribute('transform') : null,
      width: box ? box.width : 0, height: box ? box.height : 0,
      nodes: document.querySelectorAll('g.node').length,
      texts: Array.from(document.querySelectorAll('g.node text')).slice(0, 3).map(t => t.textContent),
    };
  });
  failed += report(info.root === 'svg' && info.width > 0 && info.height > 0,
    `svg renders in Chromium: ${name} (${Math.round(info.width)}x${Math.round(info.height)} px, ${info.nodes} nodes)`);
  const before = parse(info.viewport);
  failed += report(before !== null, `script fitted the viewport on load: ${name} (${info.viewport})`);
  if (shot) {
    await page.screenshot({path: shot});
  }
  if (!before) {
    return failed;
  }
  // The graph point under the pointer must stay under it while the wheel zooms in.
  const px = 500, py = 300;
  const under = (t) => ({x: (px - t.x) / t.s, y: (py - t.y) / t.s});
  await page.mouse.move(px, py);
  await page.mouse.wheel(0, -300);
  await page.waitForTimeout(50);
  const zoomed = parse(await page.evaluate(() => document.getElementById('viewport').getAttribute('transform')));
  const u0 = under(before), u1 = zoomed ? under(zoomed) : {x: NaN, y: NaN};
  failed += report(zoomed && zoomed.s > before.s * 1.5 && Math.abs(u0.x - u1.x) < 1 && Math.abs(u0.y - u1.y) < 1,
    `wheel zooms in around the pointer: ${name} (scale ${before.s.toFixed(3)} -> ${zoomed ? zoomed.s.toFixed(3) : '?'})`);
  await page.mouse.down();
  await page.mouse.move(px + 120, py + 70, {steps: 4});
  await page.mouse.up();
  const panned = parse(await page.evaluate(() => document.getElementById('viewport').getAttribute('transform')));
  failed += report(panned && zoomed && Math.abs(panned.x - zoomed.x - 120) < 0.5 &&
    Math.abs(panned.y - zoomed.y - 70) < 0.5 && panned.s === zoomed.s,
    `drag pans by the pointer's move: ${name}`);
  return failed;
}

(async () => {
  const [shot, ...files] = process.argv.slice(2);
  const browser = await chromium.launch({executablePath: exe, timeout: 180000,
    args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files']});
  const page = await browser.newPage({viewport: {width: 1200, height: 800}});
  page.setDefaultTimeout(60000);
  let failed = 0;
  for (let i = 0; i < files.length; i++) {
    try {
      failed += await check(page, files[i], i === 0 ? shot : null);
    } catch (e) {
      failed += report(false, `${files[i]}: ${String(e).split('\n')[0]}`);
    }
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.log('FAIL chromium: ' + String(e).split('\n')[0]);
  process.exit(1);
});
