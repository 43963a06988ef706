// re2search.js CASES.json -- types each regexp into the search box of nprof -flamegraph pages in
// headless Chromium and prints what the page says. CASES.json: [{page, re, want}] where want is
// "Matched: N%" or an error line; prints one "ok   ..." or "FAIL ..." line per case.
'use strict';
const fs = require('fs');
const path = require('path');
const {chromium} = require('playwright-core');

const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let failed = 0;
function report(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failed++;
}

// Types every case into its page's search box; the page is loaded again only when it changes.
async function run(page) {
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  let open = '';
  for (const c of cases) {
    if (c.page !== open) {
      await page.goto('file://' + path.resolve(c.page), {timeout: 120000});
      await page.waitForFunction(() => window.npflame && window.npflame.boxes, null, {timeout: 60000});
      open = c.page;
    }
    await page.fill('.npf-search', c.re);
    const got = await page.evaluate(() => ({text: document.querySelector('.npf-matched').textContent,
      bad: document.querySelector('.npf-search').classList.contains('npf-bad'),
      marked: window.npflame.boxes().filter(b => b.marked).length}));
    const isError = !/^Matched: /.test(c.want);
    report(got.text === c.want && got.bad === isError && (isError || got.marked > 0 || c.want === 'Matched: 0.0%'),
      `${path.basename(c.page)}: /${c.re}/ shows "${got.text}" (want "${c.want}", as -focus)${isError ? '' : `, ${got.marked} boxes lit`}`);
  }
  report(errors.length === 0, `no script errors in the pages (${errors.join('; ')})`);
}

chromium.launch({executablePath: process.env.CHROMIUM || '/usr/lib/chromium/chromium', timeout: 180000})
  .then(browser => browser.newPage({viewport: {width: 1400, height: 900}})
    .then(run)
    .catch(e => report(false, 'browser checks stopped: ' + e.message.split('\n')[0]))
    .then(() => browser.close()))
  .then(() => process.exit(failed ? 1 : 0), e => { report(false, 'no browser: ' + e.message.split('\n')[0]); process.exit(1); });
